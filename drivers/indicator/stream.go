package indicator

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// Verdict is what a Parser found at the start of a buffer.
type Verdict uint8

const (
	// NeedMore: the buffer holds the beginning of what may be a frame; read more.
	NeedMore Verdict = iota
	// Skip: the first n bytes are not a frame start; they are discarded.
	Skip
	// Bad: the first n bytes are a damaged frame; it is counted and its bytes discarded.
	Bad
	// Frame: the first n bytes are a valid frame that carries a reading.
	Frame
	// Empty: the first n bytes are a valid frame without a weight (a busy or
	// acknowledgement reply); it answers a poll but gives no reading.
	Empty
)

// Parser looks at the start of buf and says what is there. For Skip, Bad, Frame and Empty it
// returns n > 0, the bytes to consume; for Frame the reading (its Time is set by the decoder).
// It must not keep buf.
type Parser func(buf []byte) (n int, r Reading, v Verdict)

// StreamConfig describes a framed protocol to NewStream.
type StreamConfig struct {
	Parse Parser
	// Poll is the request of a polled protocol, sent on Options.Writer every poll interval;
	// nil for a continuous one. An echo of it on the line (two-wire RS-485) is skipped.
	Poll []byte
	// MaxFrame bounds a frame: a buffer this long that the parser still calls NeedMore
	// counts as a bad frame. Default 128.
	MaxFrame int
}

// maxEmptyReads is how many (0, nil) reads in a row make a decoder give up with
// io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// turnaround is the quiet time left on a half-duplex line between a reply and the next request.
const turnaround = 5 * time.Millisecond

// Stream is a Decoder built from a Parser: it buffers the input, resynchronises after
// damaged frames and, for polled protocols, polls the indicator from its own goroutine. Close
// stops that goroutine; Next stops it too when it returns the reader's error.
type Stream struct {
	Counters
	r        io.Reader
	now      func() time.Time
	parse    Parser
	poll     []byte
	maxFrame int

	store []byte
	buf   []byte
	err   error

	w                 io.Writer
	interval, timeout time.Duration
	startOnce         sync.Once
	closeOnce         sync.Once
	stop              chan struct{}
	pollDone          chan struct{}
	replied           chan struct{}
	mu                sync.Mutex
	writeErr          error
}

// NewStream returns a decoder of the protocol cfg describes, reading r.
func NewStream(r io.Reader, opts Options, cfg StreamConfig) *Stream {
	mf := cfg.MaxFrame
	if mf <= 0 {
		mf = 128
	}
	d := &Stream{r: r, now: opts.Clock(), parse: cfg.Parse, poll: cfg.Poll, maxFrame: mf,
		store: make([]byte, 2*mf+64), w: opts.Writer,
		stop: make(chan struct{}), replied: make(chan struct{}, 1)}
	d.interval, d.timeout = opts.Poll()
	d.buf = d.store[:0]
	return d
}

// Next returns the next valid reading, or the reader's error once no whole frame is left.
func (d *Stream) Next() (Reading, error) {
	for {
		if len(d.buf) > 0 {
			if d.poll != nil && bytes.HasPrefix(d.buf, d.poll) {
				d.discard(len(d.poll)) // our own request, echoed by a two-wire bus
				continue
			}
			if !(d.poll != nil && bytes.HasPrefix(d.poll, d.buf)) { // not the start of an echo
				n, rd, v := d.parse(d.buf)
				n = max(n, 1)
				switch v {
				case Skip:
					d.discard(n)
					continue
				case Bad:
					d.AddBadFrame()
					d.discard(n)
					continue
				case Frame:
					d.buf = d.buf[n:]
					d.AddFrame()
					d.answered()
					rd.Time = d.now()
					return rd, nil
				case Empty:
					d.buf = d.buf[n:]
					d.answered()
					continue
				}
				if len(d.buf) >= d.maxFrame {
					d.AddBadFrame()
					d.discard(1)
					continue
				}
			}
		}
		if d.err != nil {
			if len(d.buf) > 0 {
				d.AddBadFrame()
				d.discard(len(d.buf))
			}
			d.Close()
			return Reading{}, d.err
		}
		if d.poll != nil && d.w != nil {
			d.startOnce.Do(d.startPolling)
		}
		d.fill()
	}
}

func (d *Stream) discard(n int) {
	d.AddDiscarded(n)
	d.buf = d.buf[n:]
}

// fill reads once more into the free end of the store.
func (d *Stream) fill() { d.buf, d.err = Refill(d.r, d.store, d.buf) }

// Refill moves the unconsumed bytes buf to the front of store and reads once more after them,
// returning the new window of store. Like bufio, it gives up with io.ErrNoProgress after
// maxEmptyReads reads in a row that return nothing and no error. Decoders that keep their own
// buffer share it.
func Refill(r io.Reader, store, buf []byte) ([]byte, error) {
	n := copy(store, buf)
	for range maxEmptyReads {
		k, err := r.Read(store[n:])
		if err != nil || k > 0 {
			return store[:n+k], err
		}
	}
	return store[:n], io.ErrNoProgress
}

func (d *Stream) answered() {
	select {
	case d.replied <- struct{}{}:
	default:
	}
}

// WriteErr returns the error that stopped polling, if any.
func (d *Stream) WriteErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writeErr
}

func (d *Stream) startPolling() {
	d.pollDone = make(chan struct{})
	go d.pollLoop()
}

// pollLoop sends a request, waits for its reply or the reply timeout, then waits out the rest
// of the poll interval (at least a turnaround time after the reply), so that on a half-duplex
// line it never talks while the indicator does.
func (d *Stream) pollLoop() {
	defer close(d.pollDone)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	wait := func(dur time.Duration) bool {
		t.Reset(dur)
		select {
		case <-d.stop:
			return false
		case <-t.C:
			return true
		}
	}
	for {
		select { // a reply that came after its timeout must not answer the next request
		case <-d.replied:
		default:
		}
		sent := time.Now()
		if _, err := d.w.Write(d.poll); err != nil {
			d.mu.Lock()
			d.writeErr = err
			d.mu.Unlock()
			return
		}
		t.Reset(d.timeout)
		select {
		case <-d.stop:
			return
		case <-d.replied:
			if !t.Stop() {
				<-t.C
			}
			if !wait(max(d.interval-time.Since(sent), turnaround)) {
				return
			}
		case <-t.C:
			d.AddTimeout()
			if !wait(max(d.interval-time.Since(sent), turnaround)) {
				return
			}
		}
	}
}

// Close stops polling and waits for the polling goroutine to end. It does not close the reader.
func (d *Stream) Close() error {
	d.closeOnce.Do(func() {
		d.startOnce.Do(func() {}) // never start after Close
		close(d.stop)
	})
	if d.pollDone != nil {
		<-d.pollDone
	}
	return nil
}

// ErrUnit is the reason a frame in a unit that cannot be converted to kg is dropped.
var ErrUnit = errors.New("unknown unit")

// UnitKg returns the factor that converts a value in unit to kilograms: kg, g, t and lb (any
// case, surrounding spaces ignored).
func UnitKg(unit string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "kg":
		return 1, true
	case "g":
		return 0.001, true
	case "t":
		return 1000, true
	case "lb":
		return 0.45359237, true
	}
	return 0, false
}

// ParseDecimal reads a displayed value such as "0003.000", " -12.5" or "+001560": surrounding
// spaces, an optional sign, then digits with at most one decimal point and at most 9 digits in
// all. Leading spaces between the sign and the digits are allowed, as indicators blank leading
// zeros. It does not allocate.
func ParseDecimal(b []byte) (float64, bool) {
	b = bytes.Trim(b, " ")
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = bytes.TrimLeft(b[1:], " ")
	}
	var v int64
	digits, frac, dot := 0, 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 9 {
		return 0, false
	}
	f := float64(v) / pow10f(frac)
	if neg && v != 0 {
		f = -f
	}
	return f, true
}

func pow10f(n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	return p
}
