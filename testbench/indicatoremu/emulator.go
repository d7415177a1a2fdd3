// Package indicatoremu emulates a weighbridge indicator's continuous output: it streams frames of
// the current weight at a fixed rate, as a real indicator does whether or not anyone listens, and
// plays weight profiles such as a truck crossing the deck. A test or the demo runs it on the
// master side of a pty (sitegate/testbench/pty) or on any io.Writer.
//
// It belongs to the test bench; it may import drivers (for frame encoders) but must not import
// sitegate/models or sitegate/agent.
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

	step, i, n int // frame i (1-based) of the step's n
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
		if cur != nil {
			if w, ok := frames.next(); ok {
				kg = w
			}
			last = frames.step >= len(frames.p)
		}
		if err := e.send(kg); err != nil {
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

// send writes one frame of kg, damaged or followed by garbage as the options say.
func (e *Emulator) send(kg float64) error {
	e.frames++
	f := e.opts.Encode(kg)
	if n := e.opts.CorruptEvery; n > 0 && e.frames%uint64(n) == 0 && len(f) > 0 {
		f = append([]byte(nil), f...)
		f[len(f)/2] ^= 0x01
	}
	if n := e.opts.GarbageEvery; n > 0 && e.frames%uint64(n) == 0 {
		g := make([]byte, 1+e.rng.IntN(8))
		for i := range g {
			g[i] = byte(e.rng.UintN(256))
		}
		f = append(f[:len(f):len(f)], g...)
	}
	e.mu.Lock()
	e.kg = kg
	e.sent++
	e.mu.Unlock()
	return e.write(f)
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
