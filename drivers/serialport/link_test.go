package serialport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sitegate/testbench/pty"
)

const linkName = "scale exit-1"

var quiet = slog.New(slog.DiscardHandler)

// fast keeps retries quick in tests.
var fast = LinkOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// noLeak fails the test if, after it ends, more goroutines run than at its start.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines: %d after, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// running starts l.Run in a goroutine; the returned stop cancels it and waits for Run to return.
func running(t *testing.T, l *Link, s Session) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, s)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// readMaster reads from a pty master until want has arrived.
func readMaster(t *testing.T, m *os.File, want string) {
	t.Helper()
	m.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer m.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 64)
	for !strings.Contains(string(got), want) {
		n, err := m.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("master read: %v (got %q, want %q)", err, got, want)
		}
	}
}

// lineSession sends every line it reads on lines and returns the reader's error on errs.
func lineSession(lines chan<- string, errs chan<- error) Session {
	return func(ctx context.Context, r io.Reader, w io.Writer) error {
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				select {
				case errs <- err:
				default:
				}
				return err
			}
			lines <- strings.TrimSuffix(line, "\n")
		}
	}
}

func recv[T any](t *testing.T, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func TestLinkDataFlowsBothWays(t *testing.T) {
	noLeak(t)
	m, path := pty.Pair(t)
	l := NewLink(linkName, path, Mode{Baud: 9600}, OpenBugst, fast)
	got := make(chan string, 1)
	stop := running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error {
		if _, err := w.Write([]byte("ping\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			return err
		}
		got <- line
		<-ctx.Done()
		return ctx.Err()
	})
	readMaster(t, m, "ping\n")
	if _, err := m.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if line := recv(t, "a line", got); line != "hello\n" {
		t.Errorf("session read %q, want hello", line)
	}
	st := l.Status()
	if st.State != StateOpen || st.BytesIn != 6 || st.Reopens != 0 || st.LastByteAt.IsZero() || st.Port != path {
		t.Errorf("status while open = %+v", st)
	}
	stop()
	if st := l.Status(); st.State != StateDown {
		t.Errorf("state after Run returned = %q, want down", st.State)
	}
}

func TestLinkMasterClosedGoesDown(t *testing.T) {
	noLeak(t)
	m, path := pty.Pair(t)
	l := NewLink(linkName, path, Mode{Baud: 9600}, OpenBugst, fast)
	lines, errs := make(chan string, 10), make(chan error, 1)
	running(t, l, lineSession(lines, errs))
	waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
	m.Close()

	err := recv(t, "the session's error", errs)
	// A hung-up pty slave reads as end of file, which go.bug.st/serial reports as a closed port
	// (a real USB adapter unplugged gives EIO or ENXIO); either way not a cancellation.
	var pe *Error
	if !errors.As(err, &pe) || pe.Op != "read" || errors.Is(err, context.Canceled) {
		t.Errorf("session error = %v, want a read error", err)
	}
	prefix := fmt.Sprintf("%s (%s): ", linkName, path)
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not start with %q", err, prefix)
	}
	waitFor(t, "down with an error", func() bool {
		st := l.Status()
		return st.State != StateOpen && strings.HasPrefix(st.LastError, prefix)
	})
}

func TestLinkRecoversWithNewPty(t *testing.T) {
	noLeak(t)
	var mu sync.Mutex
	m, path := pty.Pair(t)
	open := func(_ string, mode Mode) (Port, error) {
		mu.Lock()
		p := path
		mu.Unlock()
		return OpenBugst(p, mode)
	}
	l := NewLink(linkName, "/dev/ttyUSB0", Mode{Baud: 9600}, open, fast)
	lines, errs := make(chan string, 10), make(chan error, 10)
	running(t, l, lineSession(lines, errs))

	waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
	m.Write([]byte("one\n"))
	if got := recv(t, "line one", lines); got != "one" {
		t.Fatalf("got %q, want one", got)
	}
	m.Close() // the cable is pulled...
	recv(t, "the session's error", errs)

	m2, path2 := pty.Pair(t) // ...and plugged into a new port
	mu.Lock()
	path = path2
	mu.Unlock()
	waitFor(t, "reopened", func() bool {
		st := l.Status()
		return st.State == StateOpen && st.Reopens == 1
	})
	m2.Write([]byte("two\n"))
	if got := recv(t, "line two", lines); got != "two" {
		t.Fatalf("got %q, want two", got)
	}
	if st := l.Status(); st.BytesIn != 8 {
		t.Errorf("BytesIn = %d, want 8", st.BytesIn)
	}
}

func TestLinkRetriesFailedOpens(t *testing.T) {
	noLeak(t)
	m, path := pty.Pair(t)
	var calls atomic.Int32
	open := func(p string, mode Mode) (Port, error) {
		if calls.Add(1) <= 3 {
			return nil, fmt.Errorf("unplugged: %w", fs.ErrNotExist)
		}
		return OpenBugst(path, mode)
	}
	l := NewLink(linkName, "/dev/ttyUSB0", Mode{Baud: 9600}, open, fast)
	lines, errs := make(chan string, 10), make(chan error, 10)
	running(t, l, lineSession(lines, errs))
	waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
	m.Write([]byte("up\n"))
	if got := recv(t, "a line", lines); got != "up" {
		t.Fatalf("got %q, want up", got)
	}
	st := l.Status()
	if calls.Load() != 4 || st.Reopens != 0 {
		t.Errorf("opener called %d times, reopens %d; want 4 and 0", calls.Load(), st.Reopens)
	}
	want := linkName + " (/dev/ttyUSB0): open: unplugged: file does not exist"
	if st.LastError != want {
		t.Errorf("LastError = %q, want %q", st.LastError, want)
	}
}

func TestLinkMissingDevice(t *testing.T) {
	noLeak(t)
	path := t.TempDir() + "/ttyUSB9"
	l := NewLink(linkName, path, Mode{Baud: 9600}, nil, fast)
	running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error {
		t.Error("session ran on a missing device")
		return nil
	})
	prefix := fmt.Sprintf("%s (%s): open: ", linkName, path)
	waitFor(t, "down", func() bool {
		st := l.Status()
		return st.State == StateDown && strings.HasPrefix(st.LastError, prefix)
	})
}

func TestLinkIdleReopen(t *testing.T) {
	noLeak(t)
	_, path := pty.Pair(t)
	opts := fast
	opts.IdleReopen = 30 * time.Millisecond
	l := NewLink(linkName, path, Mode{Baud: 9600}, OpenBugst, opts)
	lines, errs := make(chan string, 10), make(chan error, 10)
	running(t, l, lineSession(lines, errs))
	if err := recv(t, "the idle error", errs); !errors.Is(err, ErrIdle) {
		t.Errorf("session error = %v, want ErrIdle", err)
	}
	waitFor(t, "a reopen", func() bool { return l.Status().Reopens >= 1 })
}

// fakePort plays scripted reads, then blocks until closed, like a backend without a read timeout.
type fakePort struct {
	mu     sync.Mutex
	reads  []fakeRead
	closed chan struct{}
	once   sync.Once
}

type fakeRead struct {
	data string
	err  error
}

var errClosed = errors.New("port closed")

func newFakePort(reads ...fakeRead) *fakePort {
	return &fakePort{reads: reads, closed: make(chan struct{})}
}

func (p *fakePort) Read(b []byte) (int, error) {
	p.mu.Lock()
	if len(p.reads) > 0 {
		r := p.reads[0]
		p.reads = p.reads[1:]
		p.mu.Unlock()
		return copy(b, r.data), r.err
	}
	p.mu.Unlock()
	<-p.closed
	return 0, errClosed
}

func (p *fakePort) Write(b []byte) (int, error) { return len(b), nil }

func (p *fakePort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

func TestLinkReaderHidesTimeouts(t *testing.T) {
	noLeak(t)
	port := newFakePort(fakeRead{}, fakeRead{}, fakeRead{}, fakeRead{data: "x"}, fakeRead{data: "y", err: io.ErrUnexpectedEOF})
	l := NewLink(linkName, "fake", Mode{Baud: 9600}, func(string, Mode) (Port, error) { return port, nil }, fast)
	type result struct {
		n   int
		err error
	}
	results := make(chan result, 3)
	running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error {
		b := make([]byte, 8)
		for range 3 {
			n, err := r.Read(b)
			results <- result{n, err}
		}
		<-ctx.Done()
		return nil
	})
	want := []struct {
		n     int
		isErr error
	}{{1, nil}, {1, nil}, {0, io.ErrUnexpectedEOF}}
	for i, w := range want {
		got := recv(t, "a read", results)
		if got.n != w.n || !errors.Is(got.err, w.isErr) || (w.isErr == nil) != (got.err == nil) {
			t.Errorf("read %d = (%d, %v), want (%d, %v)", i, got.n, got.err, w.n, w.isErr)
		}
	}
}

func TestLinkCancelStopsBlockedRead(t *testing.T) {
	noLeak(t)
	port := newFakePort()
	l := NewLink(linkName, "fake", Mode{Baud: 9600}, func(string, Mode) (Port, error) { return port, nil }, fast)
	errs := make(chan error, 1)
	stop := running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error {
		_, err := r.Read(make([]byte, 8))
		errs <- err
		return err
	})
	waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
	stop()
	if err := recv(t, "the read error", errs); !errors.Is(err, context.Canceled) {
		t.Errorf("read error after cancel = %v, want context.Canceled", err)
	}
}

func TestLinkCancelWithOpenPty(t *testing.T) {
	noLeak(t)
	m, path := pty.Pair(t)
	l := NewLink(linkName, path, Mode{Baud: 9600}, OpenBugst, fast)
	lines, errs := make(chan string, 10), make(chan error, 10)
	stop := running(t, l, lineSession(lines, errs))
	waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
	m.Write([]byte("a\n"))
	recv(t, "a line", lines)
	stop()
	if err := recv(t, "the read error", errs); !errors.Is(err, context.Canceled) {
		t.Errorf("read error after cancel = %v, want context.Canceled", err)
	}
}

func TestLinkBackoff(t *testing.T) {
	noLeak(t)
	// Opens fail four times, then a port delivers a byte and fails, then opens fail again.
	var calls atomic.Int32
	open := func(string, Mode) (Port, error) {
		if calls.Add(1) == 5 {
			return newFakePort(fakeRead{data: "x", err: io.ErrUnexpectedEOF}), nil
		}
		return nil, fs.ErrNotExist
	}
	opts := LinkOptions{MinBackoff: 100 * time.Millisecond, MaxBackoff: 700 * time.Millisecond, Logger: quiet}
	l := NewLink(linkName, "fake", Mode{Baud: 9600}, open, opts)
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.wait = func(ctx context.Context, d time.Duration) bool {
		waits = append(waits, d)
		if len(waits) == 8 {
			cancel()
			return false
		}
		return true
	}
	l.Run(ctx, func(ctx context.Context, r io.Reader, w io.Writer) error {
		_, err := io.ReadAll(r)
		return err
	})
	// Nominal waits: doubling and capped, back to the minimum after the session with data.
	nominal := []time.Duration{100, 200, 400, 700, 100, 200, 400, 700}
	if len(waits) != len(nominal) {
		t.Fatalf("waits = %v, want %d of them", waits, len(nominal))
	}
	for i, n := range nominal {
		n *= time.Millisecond
		if waits[i] < n/2 || waits[i] > n {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, waits[i], n/2, n)
		}
	}
}

func TestLinkSessionEndingReopens(t *testing.T) {
	noLeak(t)
	var calls atomic.Int32
	l := NewLink(linkName, "fake", Mode{Baud: 9600}, func(string, Mode) (Port, error) {
		calls.Add(1)
		return newFakePort(), nil
	}, fast)
	running(t, l, func(ctx context.Context, r io.Reader, w io.Writer) error { return nil })
	waitFor(t, "reopens", func() bool { return l.Status().Reopens >= 2 })
	if st := l.Status(); !strings.Contains(st.LastError, "session ended") || !strings.HasPrefix(st.LastError, linkName) {
		t.Errorf("LastError = %q", st.LastError)
	}
}

// TestLinkHangUpGoesDownAtOnce: a session that shrugs off read errors (a decoder that keeps
// reading) must not keep the link "open" after the device went away until the idle timer
// fires: a hang-up (EIO, ENXIO, a closed pty peer) takes the link down at once and the
// session's context ends, so Run backs off and reopens.
func TestLinkHangUpGoesDownAtOnce(t *testing.T) {
	for _, b := range []struct {
		name string
		open Opener
	}{{BackendBugst, OpenBugst}, {BackendTarm, OpenTarm}} {
		t.Run(b.name, func(t *testing.T) {
			noLeak(t)
			m, path := pty.Pair(t)
			opts := fast
			opts.IdleReopen = 30 * time.Second
			l := NewLink(linkName, path, Mode{Baud: 9600}, b.open, opts)
			errs := make(chan error, 1)
			stubborn := func(ctx context.Context, r io.Reader, w io.Writer) error {
				buf := make([]byte, 64)
				for ctx.Err() == nil {
					if _, err := r.Read(buf); err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
				return ctx.Err()
			}
			running(t, l, stubborn)
			waitFor(t, "open", func() bool { return l.Status().State == StateOpen })
			m.Close()
			err := recv(t, "a read error", errs)
			if !IsGone(err) {
				t.Errorf("read error %v is not a device gone", err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for l.Status().State == StateOpen {
				if time.Now().After(deadline) {
					t.Fatalf("still open 2s after the hang-up (read error %v)", err)
				}
				time.Sleep(2 * time.Millisecond)
			}
			if st := l.Status(); st.DownSince.IsZero() {
				t.Errorf("status %+v: down without DownSince", st)
			}
			if st := l.Status(); !strings.HasPrefix(st.LastError, linkName) || strings.Contains(st.LastError, "canceled") {
				t.Errorf("status %+v: want the hang-up as last error", st)
			}
		})
	}
}

func TestIsGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{syscall.EIO, true},
		{fmt.Errorf("read: %w", syscall.ENXIO), true},
		{syscall.ENODEV, true},
		{errors.New("read /dev/cu.usbserial: device not configured"), true},
		{fmt.Errorf("line hung up: %w", io.EOF), true},
		{syscall.EAGAIN, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := IsGone(tc.err); got != tc.want {
			t.Errorf("IsGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
