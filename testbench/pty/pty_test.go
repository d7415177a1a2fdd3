package pty_test

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"sitegate/drivers/serialport"
	"sitegate/testbench/pty"
)

// readN reads exactly n bytes from r, failing the test after a generous deadline.
func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	got := make([]byte, 0, n)
	buf := make([]byte, n)
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %q, want %d bytes", got, n)
		}
		k, err := r.Read(buf[:n-len(got)])
		got = append(got, buf[:k]...)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, got)
		}
	}
	return got
}

func TestBytesCrossThePair(t *testing.T) {
	m, path := pty.Pair(t)
	port, err := serialport.OpenBugst(path, serialport.Mode{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()

	// Every byte value, including the ones a cooked terminal would act on (^C, ^S, ^Q, CR).
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := m.Write(all); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, port, len(all)); !bytes.Equal(got, all) {
		t.Errorf("master to slave: got % x", got)
	}

	if _, err := port.Write(all); err != nil {
		t.Fatal(err)
	}
	m.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got := readN(t, m, len(all)); !bytes.Equal(got, all) {
		t.Errorf("slave to master: got % x", got)
	}
}

func TestClosingMasterRemovesSlave(t *testing.T) {
	m, path, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("slave %s: %v", path, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("slave %s after closing the master: %v, want not exist", path, err)
	}
}

func TestPairsAreDistinct(t *testing.T) {
	_, a := pty.Pair(t)
	_, b := pty.Pair(t)
	if a == b {
		t.Errorf("two pairs share the slave path %s", a)
	}
}
