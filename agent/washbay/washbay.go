package washbay

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"sitegate/agent/control"
	"sitegate/agent/wire"
	"sitegate/drivers/modbus"
	"sitegate/models/wash"
)

// Input is the bay's occupancy signal.
type Input interface {
	// Read reports whether a vehicle is in the bay now.
	Read(ctx context.Context) (bool, error)
}

// ModbusInput is a bit of a Modbus device: on (or off, with ActiveLow) while a vehicle is in the bay.
type ModbusInput struct {
	Client    *modbus.Client
	Table     modbus.Table
	Index     uint16
	ActiveLow bool
}

// Read implements Input.
func (m ModbusInput) Read(ctx context.Context) (bool, error) {
	b, err := m.Client.ReadBits(ctx, m.Table, m.Index, 1)
	if err != nil {
		return false, err
	}
	return b[0] != m.ActiveLow, nil
}

// Options configure a Bay.
type Options struct {
	Lane   string
	Source string // what the input is, in passages and status: "modbus"
	Input  Input
	Poll   time.Duration // how often the input is read; 0 means 500 ms
	// MergeGap joins stays separated by less than this; 0 means 3 s.
	MergeGap time.Duration
	// Keep is how long stays are remembered; 0 means 2 h.
	Keep time.Duration
	// Store, when its Dir is set, keeps the stays across restarts.
	Store  control.Store
	Now    func() time.Time
	Logger *slog.Logger
	// Frame, when set, takes a JPEG of the bay (the wash camera's frame) while a vehicle stands
	// in it, every FrameEvery (default 2 s); the one nearest the middle of each stay is kept
	// (in memory) as the stay's evidence, named after FrameCamera.
	Frame       func(ctx context.Context) ([]byte, time.Time, error)
	FrameEvery  time.Duration
	FrameCamera string
}

// sample is one frame taken during a stay.
type sample struct {
	jpeg []byte
	at   time.Time
}

// maxSamples bounds the frames held for an open stay; past it every other one is dropped, so
// they stay spread over the whole stay. keptFrames bounds the stays whose frame is kept.
const (
	maxSamples = 16
	keptFrames = 32
)

// Bay is one watched wash bay. Safe for concurrent use.
type Bay struct {
	o Options

	mu      sync.Mutex
	stays   []wash.Interval  // finished, oldest first
	open    *wash.Interval   // a vehicle in the bay now; End is when it was last seen
	down    []wash.Interval  // times the input could not be read; End zero while it still cannot
	claimed map[int64]string // a stay's start (unix ns) -> the visit that took it
	lastErr string

	samples   []sample         // frames of the open stay
	lastShot  time.Time        // when the last sample was asked for
	frames    map[int64]sample // a finished stay's start (unix ns) -> its middle frame
	frameKeys []int64          // frames' keys, oldest first
}

// New prepares a bay, taking back the stays kept before a restart.
func New(o Options) *Bay {
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.MergeGap <= 0 {
		o.MergeGap = 3 * time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 2 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FrameEvery <= 0 {
		o.FrameEvery = 2 * time.Second
	}
	b := &Bay{o: o, claimed: map[int64]string{}, frames: map[int64]sample{}}
	b.load()
	return b
}

type saved struct {
	Stays   []wash.Interval  `json:"stays"`
	Claimed map[int64]string `json:"claimed"`
}

func (b *Bay) file() string { return "wash-" + b.o.Lane + ".json" }

func (b *Bay) load() {
	if b.o.Store.Dir == "" {
		return
	}
	data, err := b.o.Store.Load(b.file())
	if err != nil || data == nil {
		return
	}
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		b.o.Logger.Warn("wash bay: kept stays not read", "lane", b.o.Lane, "err", err)
		return
	}
	b.stays = s.Stays
	if s.Claimed != nil {
		b.claimed = s.Claimed
	}
	b.prune(b.o.Now())
}

// save persists the finished stays; called with mu held.
func (b *Bay) save() {
	if b.o.Store.Dir == "" {
		return
	}
	data, _ := json.Marshal(saved{Stays: b.stays, Claimed: b.claimed})
	if err := b.o.Store.Save(b.file(), data); err != nil {
		b.o.Logger.Warn("wash bay: stays not kept", "lane", b.o.Lane, "err", err)
	}
}

// Run reads the input every Poll until ctx is done.
func (b *Bay) Run(ctx context.Context) {
	t := time.NewTicker(b.o.Poll)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, b.o.Poll*4)
		var on bool
		var at time.Time
		var err error
		if ti, ok := b.o.Input.(TimedInput); ok {
			on, at, err = ti.ReadAt(rctx)
		} else {
			on, err = b.o.Input.Read(rctx)
			at = b.o.Now()
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, ErrNotYet):
		case err != nil:
			b.Fail(err, b.o.Now())
		default:
			b.Observe(on, at)
			b.shoot(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Observe takes one reading of the input at a time.
func (b *Bay) Observe(on bool, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := len(b.down); n > 0 && b.down[n-1].End.IsZero() {
		b.down[n-1].End = at
		b.o.Logger.Info("wash bay input back", "lane", b.o.Lane, "source", b.o.Source)
	}
	b.lastErr = ""
	// A vehicle seen before the input went down, and gone now, left when it was last seen:
	// the time the input was down is not counted as washing.
	if b.open != nil && !on {
		if n := len(b.down); n > 0 && b.down[n-1].Start.After(b.open.End) {
			at = b.open.End
		}
	}
	switch {
	case on && b.open != nil:
		b.open.End = at
	case on:
		// A stay that ended within the merge gap goes on, unless a truck already left with it.
		if n := len(b.stays); n > 0 && at.Sub(b.stays[n-1].End) < b.o.MergeGap && b.claimed[b.stays[n-1].Start.UnixNano()] == "" {
			s := b.stays[n-1]
			b.stays = b.stays[:n-1]
			s.End = at
			b.open = &s
			return
		}
		b.open = &wash.Interval{Start: at, End: at}
	case b.open != nil:
		s := *b.open
		s.End = at
		b.open = nil
		b.stays = append(b.stays, s)
		b.keepFrame(s)
		b.prune(at)
		b.save()
	}
}

// shoot takes a frame of the bay while a vehicle stands in it, every FrameEvery.
func (b *Bay) shoot(ctx context.Context) {
	if b.o.Frame == nil {
		return
	}
	now := b.o.Now()
	b.mu.Lock()
	due := b.open != nil && now.Sub(b.lastShot) >= b.o.FrameEvery
	if due {
		b.lastShot = now
	}
	b.mu.Unlock()
	if !due {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	jpeg, at, err := b.o.Frame(fctx)
	cancel()
	if err != nil {
		b.o.Logger.Debug("wash bay frame not taken", "lane", b.o.Lane, "err", err)
		return
	}
	b.AddFrame(jpeg, at)
}

// AddFrame keeps a frame of the bay taken at at for the open stay (Run calls it; a test may).
func (b *Bay) AddFrame(jpeg []byte, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open == nil || len(jpeg) == 0 {
		return
	}
	if len(b.samples) >= maxSamples {
		kept := b.samples[:0]
		for i, s := range b.samples {
			if i%2 == 0 {
				kept = append(kept, s)
			}
		}
		b.samples = kept
	}
	b.samples = append(b.samples, sample{jpeg: jpeg, at: at})
}

// keepFrame keeps the frame nearest the middle of stay s; called with mu held when s ends.
func (b *Bay) keepFrame(s wash.Interval) {
	defer func() { b.samples = nil }()
	if len(b.samples) == 0 {
		return
	}
	mid := s.Start.Add(s.Duration() / 2)
	best := b.samples[0]
	for _, x := range b.samples[1:] {
		if absDur(x.at.Sub(mid)) < absDur(best.at.Sub(mid)) {
			best = x
		}
	}
	k := s.Start.UnixNano()
	if _, ok := b.frames[k]; !ok {
		b.frameKeys = append(b.frameKeys, k)
	}
	b.frames[k] = best
	for len(b.frameKeys) > keptFrames {
		delete(b.frames, b.frameKeys[0])
		b.frameKeys = b.frameKeys[1:]
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Frame is the frame kept of a stay (from the middle of it) and the camera that took it; ok
// false when none was (no camera, or a stay from before a restart).
func (b *Bay) Frame(s wash.Interval) (camera string, jpeg []byte, at time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.frames[s.Start.UnixNano()]
	if !ok {
		return "", nil, time.Time{}, false
	}
	return b.o.FrameCamera, f.jpeg, f.at, true
}

// Fail records that the input could not be read at a time.
func (b *Bay) Fail(err error, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := len(b.down); n == 0 || !b.down[n-1].End.IsZero() {
		b.down = append(b.down, wash.Interval{Start: at})
		b.o.Logger.Warn("wash bay input down: washes are not seen until it is back", "lane", b.o.Lane, "source", b.o.Source, "err", err)
	}
	b.lastErr = err.Error()
}

func (b *Bay) prune(now time.Time) {
	cut := now.Add(-b.o.Keep)
	i := 0
	for i < len(b.stays) && b.stays[i].End.Before(cut) {
		delete(b.claimed, b.stays[i].Start.UnixNano())
		i++
	}
	b.stays = b.stays[i:]
	j := 0
	for j < len(b.down) && !b.down[j].End.IsZero() && b.down[j].End.Before(cut) {
		j++
	}
	b.down = b.down[j:]
}

// Find returns the last stay that ended in [from, to] and that no other visit took, and whether
// the input was down at any time in [from, to]. With claim, the stay is taken by visit, so the
// next truck cannot show the previous one's wash.
func (b *Bay) Find(from, to time.Time, visit string, claim bool) (stay wash.Interval, found, down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.down {
		if d.Start.Before(to) && (d.End.IsZero() || d.End.After(from)) {
			down = true
		}
	}
	for i := len(b.stays) - 1; i >= 0; i-- {
		s := b.stays[i]
		if s.End.After(to) || s.End.Before(from) {
			continue
		}
		if v, ok := b.claimed[s.Start.UnixNano()]; ok && v != visit {
			continue
		}
		if claim {
			if _, ok := b.claimed[s.Start.UnixNano()]; !ok {
				b.claimed[s.Start.UnixNano()] = visit
				b.save()
			}
		}
		return s, true, down
	}
	return wash.Interval{}, false, down
}

// Source is what the bay's input is.
func (b *Bay) Source() string { return b.o.Source }

// Status reports the bay's state.
func (b *Bay) Status() wire.WashBayStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := wire.WashBayStatus{Source: b.o.Source, State: "empty", LastError: b.lastErr, Stays: len(b.stays)}
	if b.open != nil {
		s.State = "occupied"
	}
	if n := len(b.down); n > 0 && b.down[n-1].End.IsZero() {
		s.State = "down"
	}
	if n := len(b.stays); n > 0 {
		s.LastStayS = b.stays[n-1].Duration().Seconds()
	}
	return s
}
