// Package deck is the weighbridge deck's state machine: it turns a stream of indicator readings
// into visits (a truck arrives, its stable gross weight is captured once, it leaves).
//
// It is pure: time comes from the readings and from Tick, so tests replay any timing exactly.
// It imports sitegate/drivers/indicator for the reading type and nothing of sitegate/agent.
package deck

import (
	"fmt"
	"sort"
	"time"

	"sitegate/drivers/indicator"
)

// State is where the deck is in a visit.
type State int

const (
	Empty    State = iota // nothing on the deck
	Occupied              // a truck is on, no stable weight yet
	Captured              // the visit's stable gross weight has been taken
	Leaving               // below the off threshold, waiting for OffHold to confirm the truck left
)

func (s State) String() string {
	switch s {
	case Empty:
		return "empty"
	case Occupied:
		return "occupied"
	case Captured:
		return "captured"
	case Leaving:
		return "leaving"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Params are the deck's thresholds (lanes[].scale in the config).
type Params struct {
	OnKg         float64       // above this the deck is occupied
	OffKg        float64       // below this, for OffHold, the truck has left
	OffHold      time.Duration // how long the weight must stay below OffKg
	StableWindow time.Duration // readings within StableBandKg for this long are a stable weight
	StableBandKg float64
	// Silence closes a visit when no reading arrives for this long (the indicator was lost);
	// 0 disables it.
	Silence time.Duration
	// StableConfirm is how many readings in a row the indicator itself must call stable
	// (MotionKnown without Motion), all within StableBandKg, for their median to be taken
	// without waiting for StableWindow; 0 means DefaultStableConfirm. Protocols without a
	// motion flag always wait for StableWindow.
	StableConfirm int
}

// DefaultStableConfirm is the number of indicator-stable readings that confirm a weight.
const DefaultStableConfirm = 3

// Kind is what happened.
type Kind int

const (
	Arrived  Kind = iota + 1 // the deck became occupied
	Stable                   // the visit's stable gross weight was captured
	Departed                 // the truck has left (or the visit was closed); the visit is over
)

func (k Kind) String() string {
	switch k {
	case Arrived:
		return "arrived"
	case Stable:
		return "stable"
	case Departed:
		return "departed"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Event is a step of a visit.
type Event struct {
	Kind Kind
	At   time.Time
	// GrossKg is the captured stable weight (Stable, and Departed when Captured is true).
	GrossKg float64
	// Captured says whether the visit got a stable weight (Departed only).
	Captured bool
	// PeakKg is the highest reading of the visit (Departed only).
	PeakKg float64
	// Reason says why a visit ended other than by the truck leaving ("silence").
	Reason string
}

// Deck follows one weighbridge. It is not safe for concurrent use; a lane owns it.
type Deck struct {
	p        Params
	state    State
	window   []indicator.Reading // readings of the last StableWindow while occupied
	offSince time.Time
	captured bool
	gross    float64
	peak     float64
	last     time.Time // time of the last reading
	lastKg   float64
	before   State // the state Leaving returns to if the weight comes back
}

// New returns an empty deck.
func New(p Params) *Deck { return &Deck{p: p} }

// State is the deck's current state.
func (d *Deck) State() State { return d.state }

// LastKg is the last reading's weight.
func (d *Deck) LastKg() float64 { return d.lastKg }

// Update feeds one reading and returns what it caused, in order.
func (d *Deck) Update(r indicator.Reading) []Event {
	d.last, d.lastKg = r.Time, r.Kg
	heavy := r.Has(indicator.Overload) // over range: something very heavy is on the deck
	if r.Has(indicator.Underload) {
		r.Kg = 0
	}
	var evs []Event
	switch d.state {
	case Empty:
		if r.Kg > d.p.OnKg || heavy {
			d.state, d.captured, d.gross, d.peak = Occupied, false, 0, 0
			d.window = d.window[:0]
			evs = append(evs, Event{Kind: Arrived, At: r.Time})
			evs = append(evs, d.occupied(r, heavy)...)
		}
	case Occupied, Captured:
		if r.Kg < d.p.OffKg && !heavy {
			d.before, d.state, d.offSince = d.state, Leaving, r.Time
			d.window = d.window[:0]
			return evs
		}
		if d.state == Occupied {
			evs = append(evs, d.occupied(r, heavy)...)
		} else {
			d.peak = max(d.peak, r.Kg)
		}
	case Leaving:
		if r.Kg >= d.p.OffKg || heavy {
			d.state = d.before // the weight came back before the hold ran out
			if d.state == Occupied {
				evs = append(evs, d.occupied(r, heavy)...)
			}
			return evs
		}
		if r.Time.Sub(d.offSince) >= d.p.OffHold {
			evs = append(evs, d.depart(r.Time, ""))
		}
	}
	return evs
}

// Tick closes a visit whose indicator went silent for longer than Params.Silence.
func (d *Deck) Tick(now time.Time) []Event {
	if d.state == Empty || d.p.Silence <= 0 || now.Sub(d.last) < d.p.Silence {
		return nil
	}
	return []Event{d.depart(now, "silence")}
}

func (d *Deck) depart(at time.Time, reason string) Event {
	ev := Event{Kind: Departed, At: at, Captured: d.captured, GrossKg: d.gross, PeakKg: d.peak, Reason: reason}
	d.state, d.captured, d.gross, d.peak = Empty, false, 0, 0
	d.window = d.window[:0]
	return ev
}

// occupied applies the stability rule while no weight has been captured.
func (d *Deck) occupied(r indicator.Reading, heavy bool) []Event {
	d.peak = max(d.peak, r.Kg)
	unstable := heavy ||
		(r.Has(indicator.MotionKnown) && r.Has(indicator.Motion)) || r.Kg <= d.p.OnKg
	if unstable {
		d.window = d.window[:0]
		return nil
	}
	d.window = append(d.window, r)
	// Drop readings that fall outside the band of the newest one; what remains is the run of
	// recent readings that agree with it.
	lo, hi := r.Kg, r.Kg
	start := len(d.window) - 1
	for i := len(d.window) - 2; i >= 0; i-- {
		w := d.window[i].Kg
		if max(hi, w)-min(lo, w) > d.p.StableBandKg {
			break
		}
		lo, hi, start = min(lo, w), max(hi, w), i
	}
	d.window = append(d.window[:0], d.window[start:]...)
	// The indicator's own word: a run of readings it calls stable, all within the band.
	confirm := d.p.StableConfirm
	if confirm <= 0 {
		confirm = DefaultStableConfirm
	}
	flagged := 0
	for i := len(d.window) - 1; i >= 0 && d.window[i].Has(indicator.MotionKnown); i-- {
		flagged++
	}
	if flagged >= confirm {
		return d.capture(r.Time, d.window[len(d.window)-flagged:])
	}
	// Keep one reading at or before the window's start, so "for StableWindow" is measured.
	for len(d.window) > 1 && r.Time.Sub(d.window[1].Time) >= d.p.StableWindow {
		d.window = d.window[1:]
	}
	if r.Time.Sub(d.window[0].Time) < d.p.StableWindow {
		return nil
	}
	return d.capture(r.Time, d.window)
}

// capture takes the median of rs as the visit's gross weight.
func (d *Deck) capture(at time.Time, rs []indicator.Reading) []Event {
	d.gross = median(rs)
	d.captured, d.state = true, Captured
	d.window = d.window[:0]
	return []Event{{Kind: Stable, At: at, GrossKg: d.gross}}
}

func median(rs []indicator.Reading) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.Kg
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
