package uplink

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// gateConn is a net.Conn whose writes wait for the gate, and are recorded.
type gateConn struct {
	net.Conn // nil: only Write, Close and the deadlines are used
	gate     chan struct{}
	mu       sync.Mutex
	writes   [][]byte
	closed   bool
	fail     error
}

func (g *gateConn) Write(p []byte) (int, error) {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return 0, g.fail
	}
	g.writes = append(g.writes, bytes.Clone(p))
	return len(p), nil
}

func (g *gateConn) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return nil
}

func (g *gateConn) SetWriteDeadline(time.Time) error { return nil }
func (g *gateConn) Read([]byte) (int, error)         { select {} }

func (g *gateConn) got() (n int, all []byte, closed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, w := range g.writes {
		all = append(all, w...)
	}
	return len(g.writes), all, g.closed
}

// TestBatchConnGathersWrites: packets written while the kernel is busy with a write go out
// together in the next one, in order, and Close writes what is left before closing.
func TestBatchConnGathersWrites(t *testing.T) {
	g := &gateConn{gate: make(chan struct{})}
	c := newBatchConn(g, time.Second)
	var want []byte
	for i := range 100 {
		p := []byte(fmt.Sprintf("packet %03d;", i))
		want = append(want, p...)
		if n, err := c.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write %d: %d, %v", i, n, err)
		}
	}
	close(g.gate) // the first write (holding what had gathered by then) and every later one pass
	last := []byte("DISCONNECT")
	want = append(want, last...)
	if _, err := c.Write(last); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	n, all, closed := g.got()
	if !bytes.Equal(all, want) {
		t.Fatalf("written %q\nwant %q", all, want)
	}
	if n > 3 {
		t.Errorf("101 packets took %d writes, want at most 3 (one in the kernel, the rest gathered)", n)
	}
	if !closed {
		t.Error("Close did not close the connection")
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// TestBatchConnWriteError: once a write fails, every later Write returns its error, so the
// client learns that the connection is gone.
func TestBatchConnWriteError(t *testing.T) {
	boom := errors.New("connection reset")
	g := &gateConn{gate: make(chan struct{}), fail: boom}
	close(g.gate)
	c := newBatchConn(g, time.Second)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Write([]byte("publish"))
		if errors.Is(err, boom) {
			return
		}
		if err != nil {
			t.Fatalf("Write: %v, want %v", err, boom)
		}
		if time.Now().After(deadline) {
			t.Fatal("Write never reported the failed write")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBatchConnBounded: a writer waits while batchMax bytes are buffered and the kernel takes
// nothing, and goes on once it does.
func TestBatchConnBounded(t *testing.T) {
	g := &gateConn{gate: make(chan struct{})}
	c := newBatchConn(g, time.Second)
	chunk := make([]byte, batchMax/4)
	if _, err := c.Write(chunk); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for { // the flusher takes the first chunk and waits in the kernel's write
		c.mu.Lock()
		n := len(c.buf)
		c.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the flusher never took the first chunk")
		}
		time.Sleep(time.Millisecond)
	}
	for i := range 4 { // batchMax more are buffered
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	returned := make(chan error)
	go func() {
		_, err := c.Write(chunk)
		returned <- err
	}()
	select {
	case err := <-returned:
		t.Fatalf("a write past batchMax returned (%v) while the kernel took nothing", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.gate)
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, all, _ := g.got(); len(all) != 6*len(chunk) {
		t.Fatalf("%d bytes written, want %d", len(all), 6*len(chunk))
	}
}
