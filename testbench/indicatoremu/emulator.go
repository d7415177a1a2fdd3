// Package indicatoremu emulates a weighbridge indicator's continuous output: it streams frames of
// the current weight at a fixed rate, as a real indicator does whether or not anyone listens, and
// plays weight profiles such as a truck crossing the deck. A test or the demo runs it on the
// master side of a pty (sitegate/testbench/pty) or on any io.Writer.
//
// It speaks every registered indicator protocol with the protocol's own encoder or responder
// (indicator.Protocol.Emulate), so a new protocol needs nothing here. It belongs to the test
// bench; it may import drivers but must not import sitegate/models or sitegate/agent.
package indicatoremu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"

	"sitegate/drivers/indicator/yaohua"
)

// Step is a stretch of a profile: the weight goes linearly from From to To over For, with
// uniform noise of up to ±NoiseKg on each frame.
type Step struct {
	From, To float64
	For      time.Duration
	NoiseKg  float64
}

// Profile is a sequence of steps, played one frame interval at a time.
type Profile []Step

// Duration is how long the profile plays.
func (p Profile) Duration() time.Duration {
	var d time.Duration
	for _, s := range p {
		d += s.For
	}
	return d
}

// Weights returns the weight of each frame of the profile at the given frame interval, rounded
// to the division (default 20 kg), without noise: what an emulator sends when no step has noise.
// Each step lasts For/rate frames (at least one) and ends exactly on its To.
func (p Profile) Weights(rate time.Duration, division float64) []float64 {
	return p.weights(rate, division, nil)
}

func (p Profile) weights(rate time.Duration, division float64, rng *rand.Rand) []float64 {
	var out []float64
	c := newCursor(p, rate, division, rng)
	for {
		w, ok := c.next()
		if !ok {
			return out
		}
		out = append(out, w)
	}
}

// cursor walks a profile frame by frame, so that long profiles need no memory.
type cursor struct {
	p        Profile
	rate     time.Duration
	division float64
	rng      *rand.Rand // nil: no noise

	step, i, n int  // frame i (1-based) of the step's n
	moving     bool // the last frame's step ramps or is noisy: the weight is not settled
}

func newCursor(p Profile, rate time.Duration, division float64, rng *rand.Rand) *cursor {
	if division <= 0 {
		division = defaultDivision
	}
	return &cursor{p: p, rate: orDefault(rate, defaultRate), division: division, rng: rng}
}

// next returns the next frame's weight, or false after the last.
func (c *cursor) next() (float64, bool) {
	if c.step >= len(c.p) {
		return 0, false
	}
	s := c.p[c.step]
	c.moving = s.From != s.To || (c.rng != nil && s.NoiseKg > 0)
	if c.i == 0 {
		c.n = max(1, int((s.For+c.rate-1)/c.rate))
	}
	c.i++
	w := s.From + (s.To-s.From)*float64(c.i)/float64(c.n)
	if c.rng != nil && s.NoiseKg > 0 {
		w += (c.rng.Float64()*2 - 1) * s.NoiseKg
	}
	if c.i == c.n {
		c.step, c.i = c.step+1, 0
	}
	return roundTo(w, c.division), true
}

func roundTo(kg, division float64) float64 {
	v := math.Round(kg/division) * division
	if v == 0 {
		return 0 // no -0
	}
	return v
}

// Truck is a truck of grossKg crossing the deck: empty deck, about 2 s driving on, a short
// settling with noise, about 3 s standing still, about 1.5 s driving off, empty deck.
func Truck(grossKg float64) Profile {
	g := grossKg
	return Profile{
		{From: 0, To: 0, For: time.Second},
		{From: 0, To: g * 1.01, For: 2 * time.Second, NoiseKg: g * 0.01},
		{From: g * 1.01, To: g * 0.995, For: 300 * time.Millisecond, NoiseKg: 40},
		{From: g * 0.995, To: g, For: 400 * time.Millisecond, NoiseKg: 20},
		{From: g, To: g, For: 3 * time.Second},
		{From: g, To: 0, For: 1500 * time.Millisecond},
		{From: 0, To: 0, For: time.Second},
	}
}

// BackOff is a truck that drives on to about peakKg and backs off before the weight is stable.
func BackOff(peakKg float64) Profile {
	p := peakKg
	return Profile{
		{From: 0, To: 0, For: time.Second},
		{From: 0, To: p, For: 1500 * time.Millisecond, NoiseKg: p * 0.01},
		{From: p, To: p * 0.9, For: 500 * time.Millisecond, NoiseKg: 100},
		{From: p * 0.9, To: 0, For: 1500 * time.Millisecond},
		{From: 0, To: 0, For: time.Second},
	}
}

const (
	defaultRate     = 100 * time.Millisecond
	defaultDivision = 20
	minWriteTimeout = 100 * time.Millisecond
)

// Options tune an Emulator. Zero values take the defaults.
type Options struct {
	// GarbageEvery injects 1 to 8 random bytes after every Nth frame; 0 = never.
	GarbageEvery int
	// CorruptEvery damages every Nth frame by flipping the lowest bit of its middle byte (for
	// tF=0 a weight digit, which the checksum then contradicts); 0 = never.
	CorruptEvery int
	// Seed seeds the noise and garbage, so a run can be replayed.
	Seed int64
	// Encode makes the frame of a weight; default yaohua.EncodeTF0(kg, 0).
	Encode func(kg float64) []byte
	// Division is the indicator's display step in kg; default 20. With the default encoder it
	// should be a whole number of kg.
	Division float64

	// EncodeMotion, if set, is used instead of Encode and is told whether the weight is still
	// moving (a ramp or a noisy step of the profile), for protocols with a motion flag.
	EncodeMotion func(kg float64, motion bool) []byte
	// DropoutEvery and DropoutFrames silence the line for DropoutFrames frames out of every
	// DropoutEvery (the weight goes on changing); 0 = never.
	DropoutEvery, DropoutFrames int

	// Answer makes a polled indicator: the emulator sends nothing by itself, and Run reads
	// requests from Requests and writes what Answer returns. Answer looks at the start of buf:
	// it returns how many bytes it used (0: wait for more) and the reply, if any, for the
	// current weight.
	Answer   func(buf []byte, kg float64, motion bool) (reply []byte, used int)
	Requests io.Reader
}

// ErrBusy is returned by Run when another Run is active.
var ErrBusy = errors.New("indicator emulator: already running")

// ErrStopped is returned by Play when Run ended before the profile finished.
var ErrStopped = errors.New("indicator emulator: stopped")

// Emulator streams indicator frames to a writer.
//
// Run streams the current weight continuously; Play hands it a profile and returns once every
// frame of the profile has been sent, after which Run keeps streaming the profile's last weight.
// Called without Run, Play streams the profile itself and stops at its end. One Play runs at a
// time; others wait their turn.
//
// A write that has not completed after a frame interval (at least 100 ms) is abandoned when the
// writer has SetWriteDeadline (an *os.File such as a pty master): an indicator never waits for
// its listener. Other writers must not block, or Run cannot notice cancellation.
type Emulator struct {
	w      io.Writer
	rate   time.Duration
	opts   Options
	rng    *rand.Rand // used by the streaming loop only
	plays  chan *play
	turn   chan struct{} // one Play at a time
	frames uint64        // used by the streaming loop only

	mu       sync.Mutex
	running  bool          // Run is active
	busy     bool          // a loop is streaming
	loopDone chan struct{} // closed when that loop ends
	kg       float64       // the weight last sent
	moving   bool          // the weight last sent was not settled
	sent     uint64
}

type play struct {
	ctx  context.Context
	p    Profile
	done chan error // buffered
}

// New returns an emulator writing to w one frame every rate (default 100 ms).
func New(w io.Writer, rate time.Duration, opts Options) *Emulator {
	if opts.Encode == nil {
		opts.Encode = func(kg float64) []byte { return yaohua.EncodeTF0(kg, 0) }
	}
	if opts.Division <= 0 {
		opts.Division = defaultDivision
	}
	seed := uint64(opts.Seed)
	return &Emulator{
		w:     w,
		rate:  orDefault(rate, defaultRate),
		opts:  opts,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		plays: make(chan *play),
		turn:  make(chan struct{}, 1),
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Current returns the weight of the last frame sent.
func (e *Emulator) Current() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kg
}

// SetWeight sets the weight the emulator sends until a profile plays; call it before Run.
func (e *Emulator) SetWeight(kg float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.kg = kg
}

// Frames returns how many frames have been sent, damaged ones included.
func (e *Emulator) Frames() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sent
}

// Run streams frames until ctx is done, then returns ctx's error; or it returns a write error.
// If a Play without Run is streaming, Run takes over when that profile ends. A second Run at the
// same time returns ErrBusy.
func (e *Emulator) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return ErrBusy
	}
	e.running = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		e.mu.Unlock()
	}()
	if e.opts.Answer != nil && e.opts.Requests != nil {
		rctx, stop := context.WithCancel(ctx)
		answered := make(chan struct{})
		go func() { defer close(answered); e.respond(rctx) }()
		defer func() { stop(); <-answered }()
	}
	for {
		done, ok := e.claim()
		if ok {
			defer e.release(done)
			return e.loop(ctx, nil)
		}
		e.mu.Lock()
		other := e.loopDone
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-other:
		}
	}
}

// Play streams the profile p and returns when its last frame has been sent; with ctx's error
// when ctx is done first (the weight then stays where the profile was); or with ErrStopped when
// Run ends first.
func (e *Emulator) Play(ctx context.Context, p Profile) error {
	select {
	case e.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.turn }()

	req := &play{ctx: ctx, p: p, done: make(chan error, 1)}
	if done, ok := e.claim(); ok {
		defer e.release(done)
		return e.loop(ctx, req)
	}
	e.mu.Lock()
	runDone := e.loopDone
	e.mu.Unlock()
	select {
	case e.plays <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-runDone:
		return ErrStopped
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Emulator) claim() (chan struct{}, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy {
		return nil, false
	}
	e.busy = true
	e.loopDone = make(chan struct{})
	return e.loopDone, true
}

func (e *Emulator) release(done chan struct{}) {
	e.mu.Lock()
	e.busy = false
	close(done)
	e.mu.Unlock()
}

// loop streams frames. With only a profile (Play without Run) it returns at the profile's end.
func (e *Emulator) loop(ctx context.Context, only *play) error {
	tick := time.NewTicker(e.rate)
	defer tick.Stop()

	cur := only
	var frames *cursor
	if cur != nil {
		frames = newCursor(cur.p, e.rate, e.opts.Division, e.rng)
	}
	kg := e.Current()
	moving := false
	for {
		plays := e.plays
		if cur != nil || only != nil {
			plays = nil // take a new profile only when idle, and never in Play's own loop
		}
		select {
		case <-ctx.Done():
			if cur != nil {
				cur.done <- ctx.Err()
			}
			return ctx.Err()
		case req := <-plays:
			cur = req
			frames = newCursor(req.p, e.rate, e.opts.Division, e.rng)
			continue
		case <-tick.C:
		}
		if cur != nil && cur.ctx.Err() != nil { // the Play gave up
			cur.done <- cur.ctx.Err()
			cur, frames = nil, nil
		}
		last := false
		moving = false
		if cur != nil {
			if w, ok := frames.next(); ok {
				kg, moving = w, frames.moving
			}
			last = frames.step >= len(frames.p)
		}
		if err := e.send(kg, moving); err != nil {
			if cur != nil {
				cur.done <- err
			}
			return err
		}
		if cur != nil && last {
			cur.done <- nil
			if cur == only {
				return nil
			}
			cur = nil
		}
	}
}

// send writes one frame of kg, damaged or followed by garbage as the options say. A polled
// emulator (Options.Answer) only takes the weight: its responder answers requests with it.
func (e *Emulator) send(kg float64, moving bool) error {
	e.frames++
	if e.opts.Answer != nil {
		e.mu.Lock()
		e.kg, e.moving = kg, moving
		e.mu.Unlock()
		return nil
	}
	if n := e.opts.DropoutEvery; n > 0 && int(e.frames%uint64(n)) < e.opts.DropoutFrames {
		e.mu.Lock()
		e.kg, e.moving = kg, moving
		e.mu.Unlock()
		return nil // a dropout: the line is silent for DropoutFrames frames
	}
	var f []byte
	if e.opts.EncodeMotion != nil {
		f = e.opts.EncodeMotion(kg, moving)
	} else {
		f = e.opts.Encode(kg)
	}
	f = damage(f, e.frames, e.opts, e.rng)
	e.mu.Lock()
	e.kg, e.moving = kg, moving
	e.sent++
	e.mu.Unlock()
	return e.write(f)
}

// damage applies CorruptEvery and GarbageEvery to the nth frame about to go out.
func damage(f []byte, nth uint64, opts Options, rng *rand.Rand) []byte {
	if n := opts.CorruptEvery; n > 0 && nth%uint64(n) == 0 && len(f) > 0 {
		f = append([]byte(nil), f...)
		f[len(f)/2] ^= 0x01
	}
	if n := opts.GarbageEvery; n > 0 && nth%uint64(n) == 0 {
		g := make([]byte, 1+rng.IntN(8))
		for i := range g {
			g[i] = byte(rng.UintN(256))
		}
		f = append(f[:len(f):len(f)], g...)
	}
	return f
}

func (e *Emulator) write(b []byte) error {
	d, ok := e.w.(interface{ SetWriteDeadline(time.Time) error })
	if ok {
		ok = d.SetWriteDeadline(time.Now().Add(max(e.rate, minWriteTimeout))) == nil
	}
	_, err := e.w.Write(b)
	if ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return nil // nobody is reading: the frame is lost, as on a real line
	}
	if err != nil {
		return fmt.Errorf("indicator emulator: write: %w", err)
	}
	return nil
}

// respond answers requests until ctx is done or Requests fails. A reader with
// SetReadDeadline (a pty master) is polled so that cancellation is noticed; another reader must
// fail once its writer side is closed.
func (e *Emulator) respond(ctx context.Context) {
	dl, hasDL := e.opts.Requests.(interface{ SetReadDeadline(time.Time) error })
	buf := make([]byte, 0, 512)
	tmp := make([]byte, 256)
	seed := uint64(e.opts.Seed) + 1
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var replies uint64
	for ctx.Err() == nil {
		if hasDL {
			dl.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		}
		n, err := e.opts.Requests.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for len(buf) > 0 {
			e.mu.Lock()
			kg, moving := e.kg, e.moving
			e.mu.Unlock()
			reply, used := e.opts.Answer(buf, kg, moving)
			if used <= 0 {
				break
			}
			buf = buf[min(used, len(buf)):]
			if reply == nil {
				continue
			}
			e.mu.Lock()
			e.sent++
			e.mu.Unlock()
			replies++
			if e.write(damage(reply, replies, e.opts, rng)) != nil {
				return
			}
		}
		if len(buf) > 256 {
			buf = buf[:0]
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, syscall.EIO):
			// A pty master reads EIO while no one has the slave open: nobody on the line yet.
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		default:
			return
		}
	}
}
