package clock

import (
	"fmt"
	"sync"
	"time"
)

// Sources of a State.
const (
	SourceAdjtimex  = "adjtimex"  // the kernel's NTP state
	SourceHeuristic = "heuristic" // the kernel could not be asked: judged by the year
	SourceFake      = "fake"      // set by a test
)

// SaneEpoch is the earliest wall time a set clock can show: a clock before it was never set
// (1970 after a boot without a battery-backed clock), whatever the kernel says. Times stamped
// before it mean nothing.
var SaneEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// heuristicYear is the year from which a clock the kernel cannot vouch for is taken as set.
const heuristicYear = 2025

// MaxErrorLimit is the largest error estimate of a synchronised clock: the kernel itself marks
// the clock unsynchronised when its estimate passes 16 s (NTP_PHASE_LIMIT).
const MaxErrorLimit = 16 * time.Second

// State is what is known of the system clock at one moment.
type State struct {
	Synced bool
	Source string
	// MaxError is the kernel's bound on the clock's error; 0 when unknown.
	MaxError time.Duration
	// Now is the wall time the state was read at.
	Now time.Time
}

// Set reports whether the clock shows a time after SaneEpoch: a clock that is set, even if it
// is not synchronised.
func (s State) Set() bool { return !s.Now.Before(SaneEpoch) }

// Problem says, for an error message, what is wrong with the clock; "" when it is synchronised
// and set.
func (s State) Problem() string {
	at := s.Now.UTC().Format("2006-01-02T15:04:05Z")
	switch {
	case !s.Set():
		return fmt.Sprintf("the gateway's clock is not set (%s)", at)
	case !s.Synced:
		return fmt.Sprintf("the gateway's clock is not synchronised (%s, %s)", at, s.Source)
	}
	return ""
}

// Source reads the clock's state; safe from any goroutine.
type Source interface {
	State() State
}

// System is the system clock's source: the kernel's adjtimex state where there is one, else
// the year heuristic.
func System() Source { return kernel{now: time.Now, adjtimex: adjtimex} }

// kernel judges the clock by the kernel's NTP state.
type kernel struct {
	now func() time.Time
	// adjtimex reads the kernel's state: whether it says synchronised and its error bound;
	// ok false when it cannot be asked.
	adjtimex func() (synced bool, maxErr time.Duration, ok bool)
}

func (k kernel) State() State {
	now := k.now()
	synced, maxErr, ok := k.adjtimex()
	if !ok {
		return Heuristic(now)
	}
	s := State{Source: SourceAdjtimex, MaxError: maxErr, Now: now}
	s.Synced = synced && maxErr < MaxErrorLimit && s.Set()
	return s
}

// Heuristic judges a clock the kernel cannot vouch for by its year alone: before 2025 it was
// never set.
func Heuristic(now time.Time) State {
	return State{Synced: now.Year() >= heuristicYear, Source: SourceHeuristic, Now: now}
}

// Fake is a settable source for tests; its zero value is an unsynchronised clock in 1970.
type Fake struct {
	mu sync.Mutex
	s  State
}

// NewFake returns a fake clock in state s (its Source is SourceFake).
func NewFake(synced bool, now time.Time) *Fake {
	f := &Fake{}
	f.Set(synced, now)
	return f
}

// Set changes the fake clock's state.
func (f *Fake) Set(synced bool, now time.Time) {
	f.mu.Lock()
	f.s = State{Synced: synced, Source: SourceFake, Now: now}
	f.mu.Unlock()
}

// State implements Source.
func (f *Fake) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.s
	if s.Now.IsZero() {
		s.Now = time.Unix(0, 0)
	}
	return s
}
