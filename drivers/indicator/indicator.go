package indicator

import (
	"io"
	"math"
	"sync/atomic"
	"time"
)

// Flags are what the indicator itself says about a reading.
type Flags uint16

const (
	// MotionKnown is set when the protocol carries a motion (unstable) flag at all; when it is
	// clear, the deck model falls back to its own stability rule.
	MotionKnown Flags = 1 << iota
	// Motion: the indicator reports the weight as not yet stable.
	Motion
	// Net: the value is a net weight (gross minus tare), not gross.
	Net
	// Overload: the indicator is over its range; the value is not a weight.
	Overload
	// Underload: the indicator is under its range; the value is not a weight.
	Underload
)

// Reading is one decoded weight, always in kilograms.
type Reading struct {
	Time  time.Time
	Kg    float64
	Flags Flags
}

// Has reports whether every flag in f is set.
func (r Reading) Has(f Flags) bool { return r.Flags&f == f }

// Stats counts what a decoder has seen. Safe to read from any goroutine.
type Stats struct {
	Frames         uint64 `json:"frames"`             // valid frames turned into readings
	BadFrames      uint64 `json:"bad_frames"`         // frames dropped: bad checksum, layout or value
	DiscardedBytes uint64 `json:"discarded_bytes"`    // bytes skipped while looking for a frame start
	Timeouts       uint64 `json:"timeouts,omitempty"` // polls that got no reply within the reply timeout
}

// Counters is the concurrency-safe accumulator a decoder embeds to implement Stats.
type Counters struct {
	frames, bad, discarded, timeouts atomic.Uint64
}

// AddFrame counts a valid frame.
func (c *Counters) AddFrame() { c.frames.Add(1) }

// AddBadFrame counts a dropped frame.
func (c *Counters) AddBadFrame() { c.bad.Add(1) }

// AddDiscarded counts bytes skipped while looking for a frame start.
func (c *Counters) AddDiscarded(n int) { c.discarded.Add(uint64(n)) }

// AddTimeout counts a poll that got no reply in time.
func (c *Counters) AddTimeout() { c.timeouts.Add(1) }

// Stats returns a snapshot of the counters.
func (c *Counters) Stats() Stats {
	return Stats{Frames: c.frames.Load(), BadFrames: c.bad.Load(), DiscardedBytes: c.discarded.Load(), Timeouts: c.timeouts.Load()}
}

// Add returns the sum of two snapshots.
func (s Stats) Add(o Stats) Stats {
	return Stats{Frames: s.Frames + o.Frames, BadFrames: s.BadFrames + o.BadFrames,
		DiscardedBytes: s.DiscardedBytes + o.DiscardedBytes, Timeouts: s.Timeouts + o.Timeouts}
}

// Decoder turns a byte stream from an indicator into readings.
//
// Stopping is part of the interface, as periph.io's Halt is: whoever builds a decoder closes it,
// whatever the protocol, and a closed decoder leaves no goroutine behind.
type Decoder interface {
	// Next blocks until the next valid reading, or returns the reader's error (io.EOF, a port
	// error). A bad frame is counted and skipped, never returned as a reading.
	Next() (Reading, error)
	// Stats reports the decoder's counters; safe to call concurrently with Next.
	Stats() Stats
	// Close stops what the decoder runs by itself (a polled decoder's poller) and waits for it
	// to end; a continuous decoder has nothing to stop. It does not close the reader, which
	// belongs to the caller. Close is idempotent and may be called from another goroutine than
	// Next's.
	Close() error
}

// Options are what every decoder may be told. A continuous protocol uses Now (and its Profile,
// if it has one) only.
type Options struct {
	// Now stamps readings; nil means time.Now.
	Now func() time.Time

	// Writer is the port's write side. A polled protocol sends its requests on it; with no
	// Writer a polled decoder only decodes what it reads (a recording, a line someone else polls).
	Writer io.Writer
	// Address is a polled indicator's address (yaohua-cmd: "A" to "Z"); empty means the
	// protocol's default.
	Address string
	// PollInterval is the time from one request to the next; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// ReplyTimeout is how long a polled decoder waits for a reply before it counts a timeout
	// and polls again; 0 means DefaultReplyTimeout.
	ReplyTimeout time.Duration

	// Unit is what the values in the frames are in, for a protocol whose frames do not say
	// (Protocol.UnitInFrame false: tF=0, the "=" formats, command mode); empty means kg. A
	// protocol whose frames carry or fix their unit ignores it.
	Unit Unit

	// Profile is the protocol's own settings, of the type its package declares (for ascii an
	// ascii.Profile, the layout of a line): what a lane's config gives in the protocol's
	// block (Protocol.ProfileKey) over Protocol.DefaultProfile, or Protocol.Example in a
	// tool that has no config. Nil for protocols without one. It is opaque here so that the
	// options every decoder shares name no single protocol.
	Profile any
}

// Unit is the unit an indicator displays, for the protocols whose frames carry only digits and
// a decimal point: the same frame 031200 with dp 3 is 31.2 kg or 31.2 t depending on how the
// indicator is set up.
type Unit string

// Units of Options.Unit (scale.unit).
const (
	Kilogram Unit = "kg"
	Tonne    Unit = "t"
)

// Units lists the units a protocol without its own unit may be set to, in config order.
var Units = []Unit{Kilogram, Tonne}

// Kg converts v, a value in u, to kilograms; the empty unit is kg. Tonnes are rounded to the
// gram, so that 31.2 t is 31200 kg rather than 31200.000000000004.
func (u Unit) Kg(v float64) float64 {
	if u == Tonne {
		kg := math.Round(v*1e6) / 1e3
		if kg == 0 {
			return 0 // no -0
		}
		return kg
	}
	return v
}

// Defaults of polled protocols.
const (
	DefaultPollInterval = 200 * time.Millisecond
	DefaultReplyTimeout = 500 * time.Millisecond
)

// Poll returns the poll interval and the reply timeout with their defaults applied.
func (o Options) Poll() (interval, timeout time.Duration) {
	interval, timeout = o.PollInterval, o.ReplyTimeout
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	if timeout <= 0 {
		timeout = DefaultReplyTimeout
	}
	return interval, timeout
}

// Clock returns o.Now or time.Now.
func (o Options) Clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}
