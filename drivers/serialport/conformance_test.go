package serialport

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial/enumerator"

	"sitegate/testbench/pty"
)

// backends is every Opener the conformance suite runs against.
var backends = []struct {
	name string
	open Opener
}{{BackendBugst, OpenBugst}, {BackendTarm, OpenTarm}}

// readSome reads p until it has n bytes or the deadline passes.
func readSome(t *testing.T, p Port, n int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64)
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("read %q, want %d bytes", got, n)
		}
		k, err := p.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, got)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

// TestBackendConformance runs the same checks on every backend over pty pairs.
func TestBackendConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("bytes both ways", func(t *testing.T) {
				m, path := pty.Pair(t)
				p, err := b.open(path, Mode{Baud: 9600})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Write([]byte("SI\r\n")); err != nil {
					t.Fatal(err)
				}
				readMaster(t, m, "SI\r\n")
				frame := []byte{0x02, 0x2B, 0x30, 0x30, 0x31, 0x35, 0x36, 0x30, 0x30, 0x31, 0x39, 0x03, 0x00, 0xFF}
				m.Write(frame)
				if got := readSome(t, p, len(frame)); string(got) != string(frame) {
					t.Errorf("read % X, want % X (bytes must pass unchanged)", got, frame)
				}
			})
			t.Run("framings", func(t *testing.T) {
				for _, f := range []string{"8N1", "7E1", "7O1", "8N2", "8E1"} {
					bits, par, stop, err := ParseFraming(f)
					if err != nil {
						t.Fatal(err)
					}
					_, path := pty.Pair(t)
					p, err := b.open(path, Mode{Baud: 4800, DataBits: bits, Parity: par, StopBits: stop})
					if err != nil {
						t.Errorf("%s: %v", f, err)
						continue
					}
					p.Close()
				}
			})
			t.Run("idle read returns nothing, no error", func(t *testing.T) {
				_, path := pty.Pair(t)
				p, err := b.open(path, Mode{Baud: 9600})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				done := make(chan error, 1)
				go func() {
					n, err := p.Read(make([]byte, 8))
					if n != 0 && err == nil {
						err = errors.New("read data on an idle line")
					}
					done <- err
				}()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("idle read: %v, want (0, nil) after the read timeout", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("an idle read did not come back: the backend has no read timeout")
				}
			})
			t.Run("bytes before the open are dropped", func(t *testing.T) {
				m, path := pty.Pair(t)
				m.Write([]byte("stale"))
				p, err := b.open(path, Mode{Baud: 9600})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				m.Write([]byte("fresh"))
				if got := readSome(t, p, 5); string(got) != "fresh" {
					t.Errorf("read %q, want only what came after the open", got)
				}
			})
			t.Run("hang-up is an error", func(t *testing.T) {
				m, path := pty.Pair(t)
				p, err := b.open(path, Mode{Baud: 9600})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				m.Close()
				deadline := time.Now().Add(10 * time.Second)
				for {
					_, err := p.Read(make([]byte, 8))
					if err != nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("reads after the hang-up never fail")
					}
				}
			})
			t.Run("unplug and replug through usb lookup", func(t *testing.T) {
				noLeak(t)
				var mu sync.Mutex
				m, path := pty.Pair(t)
				list := func() ([]*enumerator.PortDetails, error) {
					mu.Lock()
					defer mu.Unlock()
					return []*enumerator.PortDetails{
						{Name: "/dev/ttyS0"},
						{Name: path, IsUSB: true, VID: "1A86", PID: "7523", SerialNumber: "X1"},
					}, nil
				}
				l := NewLink(linkName, "usb:1a86:7523:X1", Mode{Baud: 9600}, WithUSB(b.open, list), fast)
				lines, errs := make(chan string, 10), make(chan error, 10)
				running(t, l, lineSession(lines, errs))
				waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
				m.Write([]byte("one\n"))
				if got := recv(t, "line one", lines); got != "one" {
					t.Fatalf("got %q", got)
				}
				m.Close()
				recv(t, "the session's error", errs)
				m2, path2 := pty.Pair(t)
				mu.Lock()
				path = path2
				mu.Unlock()
				waitFor(t, "reopened on the new device", func() bool {
					st := l.Status()
					return st.State == StateOpen && st.Reopens == 1
				})
				m2.Write([]byte("two\n"))
				if got := recv(t, "line two", lines); got != "two" {
					t.Fatalf("got %q", got)
				}
			})
			t.Run("link session polls and reads", func(t *testing.T) {
				noLeak(t)
				m, path := pty.Pair(t)
				l := NewLink(linkName, path, Mode{Baud: 9600, DataBits: 7, Parity: Even}, b.open, fast)
				got := make(chan string, 1)
				running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error {
					w.Write([]byte("S\r\n"))
					buf := make([]byte, 16)
					n, err := io.ReadAtLeast(r, buf, 5)
					if err != nil {
						return err
					}
					got <- string(buf[:n])
					<-ctx.Done()
					return ctx.Err()
				})
				readMaster(t, m, "S\r\n")
				m.Write([]byte("S S 5"))
				if s := recv(t, "the reply", got); s != "S S 5" {
					t.Errorf("got %q", s)
				}
			})
		})
	}
}

func TestTarmRejectsWhatItCannotSet(t *testing.T) {
	_, path := pty.Pair(t)
	for _, m := range []Mode{{Baud: 9600, Parity: Mark}, {Baud: 9600, StopBits: OnePointFive}, {Baud: 0}} {
		if p, err := OpenTarm(path, m); err == nil {
			p.Close()
			t.Errorf("OpenTarm(%v) succeeded", m)
		}
	}
}

func TestBackendByName(t *testing.T) {
	for _, n := range []string{"", "bugst", "tarm"} {
		if o, err := Backend(n); err != nil || o == nil {
			t.Errorf("Backend(%q) = %v", n, err)
		}
	}
	if _, err := Backend("rxtx"); err == nil {
		t.Error("Backend(rxtx) accepted")
	}
}

func TestParseUSBAndResolve(t *testing.T) {
	good := map[string]USBID{
		"usb:1a86:7523":        {VID: "1a86", PID: "7523"},
		"usb:0403:6001:A10KZ3": {VID: "0403", PID: "6001", Serial: "A10KZ3"},
		"usb:0403:6001:A:B":    {VID: "0403", PID: "6001", Serial: "A:B"},
		"usb:1A86:7523":        {VID: "1a86", PID: "7523"},
	}
	for s, want := range good {
		if got, err := ParseUSB(s); err != nil || got != want {
			t.Errorf("ParseUSB(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"usb:", "usb:1a86", "usb:1a8:7523", "usb:zzzz:7523", "usb:1a86:7523:", "/dev/ttyUSB0"} {
		if _, err := ParseUSB(s); err == nil {
			t.Errorf("ParseUSB(%q) accepted", s)
		}
	}
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1a86", PID: "7523", SerialNumber: "A"},
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "1a86", PID: "7523", SerialNumber: "B"},
		{Name: "/dev/ttyUSB2", IsUSB: true, VID: "0403", PID: "6001"},
	}
	list := func() ([]*enumerator.PortDetails, error) { return ports, nil }
	for _, c := range []struct {
		id, want string
		err      bool
	}{
		{"usb:0403:6001", "/dev/ttyUSB2", false},
		{"usb:1a86:7523:B", "/dev/ttyUSB1", false},
		{"usb:1a86:7523", "", true}, // two match: ambiguous
		{"usb:dead:beef", "", true},
	} {
		id, _ := ParseUSB(c.id)
		got, err := Resolve(id, list)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("Resolve(%s) = %q, %v", c.id, got, err)
		}
	}
	id, _ := ParseUSB("usb:dead:beef")
	if _, err := Resolve(id, list); !errors.Is(err, ErrNoAdapter) {
		t.Errorf("no match: %v, want ErrNoAdapter", err)
	}
}
