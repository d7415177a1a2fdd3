package clock

import (
	"strings"
	"testing"
	"time"
)

func TestKernelState(t *testing.T) {
	now2026 := time.Date(2026, 11, 27, 13, 14, 3, 0, time.UTC)
	cases := []struct {
		name   string
		now    time.Time
		synced bool
		maxErr time.Duration
		ok     bool
		want   State
	}{
		{"synchronised", now2026, true, 20 * time.Millisecond, true, State{Synced: true, Source: SourceAdjtimex, MaxError: 20 * time.Millisecond}},
		{"kernel says unsynchronised", now2026, false, 20 * time.Millisecond, true, State{Source: SourceAdjtimex, MaxError: 20 * time.Millisecond}},
		{"error bound too large", now2026, true, 16 * time.Second, true, State{Source: SourceAdjtimex, MaxError: 16 * time.Second}},
		{"synchronised but in 1970", time.Unix(10, 0), true, time.Millisecond, true, State{Source: SourceAdjtimex, MaxError: time.Millisecond}},
		{"no kernel answer, recent year", now2026, false, 0, false, State{Synced: true, Source: SourceHeuristic}},
		{"no kernel answer, 1970", time.Unix(10, 0), false, 0, false, State{Source: SourceHeuristic}},
		{"no kernel answer, 2024", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), false, 0, false, State{Source: SourceHeuristic}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := kernel{now: func() time.Time { return c.now },
				adjtimex: func() (bool, time.Duration, bool) { return c.synced, c.maxErr, c.ok }}
			got := k.State()
			c.want.Now = c.now
			if got != c.want {
				t.Fatalf("State = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestSystemAnswers(t *testing.T) {
	s := System().State()
	if s.Source != SourceAdjtimex && s.Source != SourceHeuristic {
		t.Fatalf("System().State() = %+v", s)
	}
	if s.Now.IsZero() {
		t.Fatal("no time read")
	}
}

func TestProblem(t *testing.T) {
	if p := (State{Synced: true, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}).Problem(); p != "" {
		t.Errorf("synchronised clock: %q", p)
	}
	p := (State{Synced: true, Now: time.Unix(3600, 0)}).Problem()
	if !strings.Contains(p, "not set (1970-01-01T01:00:00Z)") {
		t.Errorf("clock in 1970: %q", p)
	}
	p = (State{Source: SourceAdjtimex, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}).Problem()
	if !strings.Contains(p, "not synchronised") {
		t.Errorf("unsynchronised clock: %q", p)
	}
}

func TestFake(t *testing.T) {
	var f Fake
	if s := f.State(); s.Synced || s.Set() || s.Source != "" {
		t.Fatalf("zero Fake = %+v, want an unset clock", s)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	f.Set(true, at)
	if s := f.State(); !s.Synced || !s.Now.Equal(at) || s.Source != SourceFake {
		t.Fatalf("after Set: %+v", s)
	}
}
