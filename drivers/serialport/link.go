package serialport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// States of a Link, as reported in LinkStatus.State.
const (
	StateConnecting = "connecting" // opening the port
	StateOpen       = "open"       // a session runs on the open port
	StateDown       = "down"       // the port failed or could not be opened; waiting to retry
)

// ErrIdle is the reason a Link gives up on a port that has received nothing for IdleReopen.
var ErrIdle = errors.New("no data received")

// IsGone reports whether err means the device went away: the line hung up (a pty whose peer
// closed, a tty whose modem dropped, which go.bug.st/serial reports as a closed port and tarm as
// an early end of file) or the device is gone (EIO, ENXIO, ENODEV; "device not configured" is
// ENXIO on BSD and macOS). Such a port is not coming back by reading it again.
func IsGone(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"device not configured", "input/output error", "no such device"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Error is what a Link's reader, writer and status report: the link's name and port path around
// the cause, as in "scale exit-1 (/dev/ttyUSB0): open: no such file or directory".
type Error struct {
	Link string // the link's name, e.g. "scale exit-1"
	Path string // the port path
	Op   string // open, read, write or session
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (%s): %s: %v", e.Link, e.Path, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// LinkOptions tune a Link. Zero values take the defaults.
type LinkOptions struct {
	MinBackoff time.Duration // first wait before reopening; default 500ms
	MaxBackoff time.Duration // cap of the doubling wait; default 30s
	IdleReopen time.Duration // reopen when nothing arrived for this long; 0 = never
	Logger     *slog.Logger  // default slog.Default()
}

// LinkStatus is a snapshot of a Link.
type LinkStatus struct {
	State      string    `json:"state"` // connecting, open or down
	Port       string    `json:"port"`
	LastError  string    `json:"last_error"`
	Reopens    uint64    `json:"reopens"` // successful opens after the first
	BytesIn    uint64    `json:"bytes_in"`
	LastByteAt time.Time `json:"last_byte_at,omitzero"`
	// DownSince is when the port last failed after being open (or first failed to open); zero
	// while open. Retries do not move it: it says how long the scale has been away.
	DownSince time.Time `json:"down_since,omitzero"`
}

// Session is the work a Link runs on each open port. r blocks until data arrives and fails when
// the port fails, when ctx is done or when the line has been idle for IdleReopen; w writes to
// the port. A session returns when it is done with the port (usually with r's error); the Link
// then closes the port and, unless its context is done, opens it again.
type Session func(ctx context.Context, r io.Reader, w io.Writer) error

// Link keeps one serial port open for a lane, reopening it with exponential backoff and jitter
// whenever it fails or cannot be opened.
type Link struct {
	name, path string
	mode       Mode
	open       Opener
	opts       LinkOptions
	log        *slog.Logger

	// wait sleeps for d unless ctx is done first; it reports whether it slept. Tests replace it.
	wait func(ctx context.Context, d time.Duration) bool

	bytesIn atomic.Uint64

	mu         sync.Mutex
	state      string
	lastErr    string
	reopens    uint64
	opens      uint64
	lastByteAt time.Time
	downSince  time.Time
}

// NewLink returns a link named name (used in errors and logs, e.g. "scale exit-1") for the port
// at path. It does not touch the port: Run opens it. open nil means OpenBugst.
func NewLink(name, path string, m Mode, open Opener, opts LinkOptions) *Link {
	if open == nil {
		open = OpenBugst
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Link{
		name: name, path: path, mode: m, open: open, opts: opts,
		log:   log.With("link", name, "port", path),
		wait:  sleepCtx,
		state: StateConnecting,
	}
}

// Status returns a snapshot of the link. Safe from any goroutine.
func (l *Link) Status() LinkStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LinkStatus{
		State:      l.state,
		Port:       l.path,
		LastError:  l.lastErr,
		Reopens:    l.reopens,
		BytesIn:    l.bytesIn.Load(),
		LastByteAt: l.lastByteAt,
		DownSince:  l.downSince,
	}
}

// Run opens the port and runs session on it, again and again, until ctx is done. Between two
// attempts it waits MinBackoff, doubling up to MaxBackoff, with jitter; the wait goes back to
// MinBackoff after a session that received data. Run returns when ctx is done, after the port is
// closed, and leaves no goroutine behind. Run must not be called twice at the same time.
func (l *Link) Run(ctx context.Context, session Session) {
	backoff := l.opts.MinBackoff
	for ctx.Err() == nil {
		l.setState(StateConnecting)
		received, err := l.runOnce(ctx, session)
		if ctx.Err() != nil {
			break
		}
		l.setDown(err)
		if received {
			backoff = l.opts.MinBackoff
		}
		if !l.wait(ctx, jitter(backoff)) {
			break
		}
		backoff = min(backoff*2, l.opts.MaxBackoff)
	}
	l.setState(StateDown)
}

// runOnce opens the port, runs one session and closes the port. It reports whether the session
// received any byte.
func (l *Link) runOnce(ctx context.Context, session Session) (received bool, err error) {
	port, err := l.open(l.path, l.mode)
	if err != nil {
		return false, l.wrap("open", err)
	}
	if port == nil {
		return false, l.wrap("open", errors.New("opener returned no port"))
	}
	p := &onceCloser{port: port}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Closing the port is what stops a session stuck in a backend Read that ignores timeouts,
	// or in a Write.
	stop := context.AfterFunc(sctx, func() { p.Close() })
	l.setOpen()

	// A port whose device went away is given up at once: the link is down from the failed read
	// or write on, not from whenever the session notices (a decoder may keep reading, and the
	// idle timer would only fire after IdleReopen), and the session's context ends.
	var goneErr atomic.Pointer[error]
	gone := func(err error) {
		if sctx.Err() != nil { // closed by us: not the device's doing
			return
		}
		goneErr.CompareAndSwap(nil, &err)
		l.setDown(err)
		cancel()
	}
	r := &lineReader{l: l, ctx: sctx, port: p, since: time.Now(), gone: gone}
	err = session(sctx, r, &lineWriter{l: l, port: p, gone: gone})
	stop()
	cancel()
	// If the AfterFunc already started, this waits for its Close to finish.
	if cerr := p.Close(); err == nil && cerr != nil {
		err = l.wrap("close", cerr)
	}
	if g := goneErr.Load(); g != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = *g // the session ended because the device went away, whatever it said
	}
	if err == nil {
		err = errors.New("session ended")
	}
	var le *Error
	if !errors.As(err, &le) || le.Link != l.name {
		err = l.wrap("session", err)
	}
	return r.received, err
}

func (l *Link) wrap(op string, err error) error {
	return &Error{Link: l.name, Path: l.path, Op: op, Err: err}
}

func (l *Link) setState(s string) {
	l.mu.Lock()
	l.state = s
	l.mu.Unlock()
}

func (l *Link) setOpen() {
	l.mu.Lock()
	l.state = StateOpen
	l.downSince = time.Time{}
	l.opens++
	if l.opens > 1 {
		l.reopens++
	}
	l.mu.Unlock()
	l.log.Info("serial port open", "mode", l.mode.String())
}

func (l *Link) setDown(err error) {
	msg := err.Error()
	l.mu.Lock()
	l.state = StateDown
	if l.downSince.IsZero() {
		l.downSince = time.Now()
	}
	repeated := msg == l.lastErr
	l.lastErr = msg
	l.mu.Unlock()
	if !repeated {
		l.log.Warn("serial port down", "err", msg)
	}
}

func (l *Link) gotBytes(n int) {
	l.bytesIn.Add(uint64(n))
	now := time.Now()
	l.mu.Lock()
	l.lastByteAt = now
	l.mu.Unlock()
}

// jitter returns a wait between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// onceCloser closes its port once; a second Close waits for the first to finish.
type onceCloser struct {
	port Port
	once sync.Once
	err  error
}

func (c *onceCloser) Close() error {
	c.once.Do(func() { c.err = c.port.Close() })
	return c.err
}

// lineReader is the blocking reader a session gets: it hides the port's read timeouts.
type lineReader struct {
	l        *Link
	ctx      context.Context
	port     *onceCloser
	since    time.Time // last byte, or the opening
	received bool
	pending  error       // an error a backend returned along with data, or the hang-up
	gone     func(error) // takes the link down when the device went away
}

// spinGuard is how long a Read returning (0, nil) must have waited before the next try follows
// at once; a backend without a read timeout would otherwise spin.
const spinGuard = 10 * time.Millisecond

func (r *lineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.pending != nil {
		return 0, r.pending
	}
	for {
		if err := r.ctx.Err(); err != nil {
			return 0, r.l.wrap("read", err)
		}
		start := time.Now()
		n, err := r.port.port.Read(p)
		if n > 0 {
			r.received = true
			r.since = time.Now()
			r.l.gotBytes(n)
			if err != nil {
				r.pending = r.fail(err)
				if IsGone(r.pending) {
					r.gone(r.pending)
				}
			}
			return n, nil
		}
		if err != nil {
			err = r.fail(err)
			if r.pending == nil && IsGone(err) {
				r.pending = err
				r.gone(err)
			}
			return 0, err
		}
		if idle := r.l.opts.IdleReopen; idle > 0 && time.Since(r.since) >= idle {
			return 0, r.l.wrap("read", fmt.Errorf("%w for %v", ErrIdle, idle))
		}
		if time.Since(start) < spinGuard && !sleepCtx(r.ctx, spinGuard) {
			return 0, r.l.wrap("read", r.ctx.Err())
		}
	}
}

// fail names a read error; once the context is done, that is the reason given, since a closed
// port's error is only its consequence.
func (r *lineReader) fail(err error) error {
	if cerr := r.ctx.Err(); cerr != nil {
		return r.l.wrap("read", cerr)
	}
	return r.l.wrap("read", err)
}

type lineWriter struct {
	l    *Link
	port *onceCloser
	gone func(error)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n, err := w.port.port.Write(p)
	if err != nil {
		err = w.l.wrap("write", err)
		if IsGone(err) {
			w.gone(err)
		}
		return n, err
	}
	return n, nil
}
