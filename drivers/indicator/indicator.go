// Package indicator defines what every weighbridge indicator driver produces, and the registry
// of wire protocols by their `scale.protocol` name.
//
// A protocol lives in its own sub-package and registers itself in init; sitegate/drivers/indicator/all
// imports every one of them. This package must not import sitegate/models or sitegate/agent.
package indicator

import (
	"io"
	"sort"
	"sync"
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
	Frames         uint64 `json:"frames"`          // valid frames turned into readings
	BadFrames      uint64 `json:"bad_frames"`      // frames dropped: bad checksum, layout or value
	DiscardedBytes uint64 `json:"discarded_bytes"` // bytes skipped while looking for a frame start
}

// Counters is the concurrency-safe accumulator a decoder embeds to implement Stats.
type Counters struct {
	frames, bad, discarded atomic.Uint64
}

// AddFrame counts a valid frame.
func (c *Counters) AddFrame() { c.frames.Add(1) }

// AddBadFrame counts a dropped frame.
func (c *Counters) AddBadFrame() { c.bad.Add(1) }

// AddDiscarded counts bytes skipped while looking for a frame start.
func (c *Counters) AddDiscarded(n int) { c.discarded.Add(uint64(n)) }

// Stats returns a snapshot of the counters.
func (c *Counters) Stats() Stats {
	return Stats{Frames: c.frames.Load(), BadFrames: c.bad.Load(), DiscardedBytes: c.discarded.Load()}
}

// Decoder turns a byte stream from an indicator into readings.
type Decoder interface {
	// Next blocks until the next valid reading, or returns the reader's error (io.EOF, a port
	// error). A bad frame is counted and skipped, never returned as a reading.
	Next() (Reading, error)
	// Stats reports the decoder's counters; safe to call concurrently with Next.
	Stats() Stats
}

// Options are what every decoder may be told.
type Options struct {
	// Now stamps readings; nil means time.Now.
	Now func() time.Time
}

// Clock returns o.Now or time.Now.
func (o Options) Clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// Factory builds a decoder reading from r.
type Factory func(r io.Reader, opts Options) Decoder

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// Register adds a protocol under its scale.protocol name. It panics on a duplicate name, which is
// a programming error.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("indicator: protocol registered twice: " + name)
	}
	registry[name] = f
}

// Lookup returns the factory of a protocol.
func Lookup(name string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Names lists the registered protocols, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
