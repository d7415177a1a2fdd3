package deck

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/indicator"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

var params = Params{OnKg: 500, OffKg: 200, OffHold: 3 * time.Second, StableWindow: 2 * time.Second, StableBandKg: 20, Silence: 30 * time.Second}

const division = 20

const mot = indicator.MotionKnown | indicator.Motion

// seg is a piece of a weight trace: from → to over dur, one reading every 100 ms, with noise.
type seg struct {
	from, to float64
	dur      time.Duration
	noise    float64
	flags    indicator.Flags
}

func trace(seed int64, segs ...seg) []indicator.Reading {
	rng := rand.New(rand.NewSource(seed))
	var out []indicator.Reading
	at := t0
	for _, s := range segs {
		n := int(s.dur / (100 * time.Millisecond))
		for i := 0; i < n; i++ {
			kg := s.from + (s.to-s.from)*float64(i)/float64(n)
			if s.noise > 0 {
				kg += (rng.Float64()*2 - 1) * s.noise
			}
			kg = math.Round(kg/division) * division // indicators show whole divisions
			out = append(out, indicator.Reading{Time: at, Kg: kg, Flags: s.flags})
			at = at.Add(100 * time.Millisecond)
		}
	}
	return out
}

func run(d *Deck, rs []indicator.Reading) []Event {
	var evs []Event
	for _, r := range rs {
		evs = append(evs, d.Update(r)...)
	}
	return evs
}

// summary writes events as "arrived stable(31200) departed(captured 31200)".
func summary(evs []Event) string {
	var parts []string
	for _, e := range evs {
		switch e.Kind {
		case Stable:
			parts = append(parts, fmt.Sprintf("stable(%.0f)", e.GrossKg))
		case Departed:
			if e.Captured {
				parts = append(parts, fmt.Sprintf("departed(%.0f)", e.GrossKg))
			} else {
				parts = append(parts, "departed(none)")
			}
		default:
			parts = append(parts, e.Kind.String())
		}
	}
	return strings.Join(parts, " ")
}

func TestDeckVisits(t *testing.T) {
	truck := func(kg float64) []seg {
		return []seg{
			{0, kg, 2 * time.Second, 40, 0}, // driving on, noisy
			{kg, kg, 3 * time.Second, 8, 0}, // standing: within the band
			{kg, 0, 1500 * time.Millisecond, 40, 0},
			{0, 0, 4 * time.Second, 5, 0},
		}
	}
	cases := []struct {
		name string
		segs []seg
		want string
	}{
		{"empty deck", []seg{{0, 0, 10 * time.Second, 30, 0}}, ""},
		{"below on threshold never occupies", []seg{{0, 480, time.Second, 0, 0}, {480, 480, 5 * time.Second, 0, 0}}, ""},
		{"one truck", truck(31200), "arrived stable(31200) departed(31200)"},
		{"two trucks in a row", append(truck(31200), truck(18000)...),
			"arrived stable(31200) departed(31200) arrived stable(18000) departed(18000)"},
		{"backs off before stable", []seg{{0, 12000, 2 * time.Second, 300, 0}, {12000, 0, time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived departed(none)"},
		{"always moving never stable", []seg{{0, 20000, 2 * time.Second, 0, 0}, {20000, 20000, 5 * time.Second, 200, 0}, {20000, 0, time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived departed(none)"},
		{"one capture per visit", []seg{{0, 20000, time.Second, 0, 0}, {20000, 20000, 3 * time.Second, 0, 0}, {25000, 25000, 3 * time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived stable(20000) departed(20000)"},
		{"dip between trucks above off threshold is one visit", []seg{{20000, 20000, 3 * time.Second, 0, 0}, {300, 300, 5 * time.Second, 0, 0}, {15000, 15000, 3 * time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived stable(20000) departed(20000)"},
		{"short dip below off threshold does not end the visit", []seg{{20000, 20000, 3 * time.Second, 0, 0}, {100, 100, 2 * time.Second, 0, 0}, {20000, 20000, time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived stable(20000) departed(20000)"},
		{"stable after the dip when none before", []seg{{0, 9000, time.Second, 500, 0}, {100, 100, 2 * time.Second, 0, 0}, {9000, 9000, 3 * time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived stable(9000) departed(9000)"},
		{"motion flag holds off capture", []seg{{20000, 20000, 4 * time.Second, 0, indicator.MotionKnown | indicator.Motion}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived departed(none)"},
		{"indicator stable flag captures without the software window", []seg{{0, 20000, 2 * time.Second, 300, mot}, {20000, 20000, 300 * time.Millisecond, 0, indicator.MotionKnown}, {20000, 0, time.Second, 0, mot}, {0, 0, 4 * time.Second, 0, indicator.MotionKnown}},
			"arrived stable(20000) departed(20000)"},
		{"two stable readings are not enough", []seg{{0, 20000, 2 * time.Second, 300, mot}, {20000, 20000, 200 * time.Millisecond, 0, indicator.MotionKnown}, {20000, 20000, time.Second, 0, mot}, {20000, 0, time.Second, 0, mot}, {0, 0, 4 * time.Second, 0, indicator.MotionKnown}},
			"arrived departed(none)"},
		{"indicator stable but outside the band waits", []seg{{0, 20000, 2 * time.Second, 0, mot}, {20000, 20000, time.Second, 200, indicator.MotionKnown}, {20000, 0, time.Second, 0, mot}, {0, 0, 4 * time.Second, 0, indicator.MotionKnown}},
			"arrived departed(none)"},
		{"no motion flag falls back to the window", []seg{{0, 20000, 2 * time.Second, 300, 0}, {20000, 20000, time.Second, 0, 0}, {20000, 0, time.Second, 0, 0}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived departed(none)"},
		{"overload flag occupies but never captures", []seg{{0, 0, 4 * time.Second, 0, indicator.Overload}, {0, 0, 4 * time.Second, 0, 0}},
			"arrived departed(none)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(params)
			got := summary(run(d, trace(1, c.segs...)))
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			if d.State() != Empty && c.want != "" {
				t.Errorf("deck ends %s, want empty", d.State())
			}
		})
	}
}

func TestStableNeedsTheWholeWindow(t *testing.T) {
	d := New(params)
	evs := run(d, trace(1, seg{20000, 20000, 1900 * time.Millisecond, 0, 0}))
	if got := summary(evs); got != "arrived" {
		t.Fatalf("1.9 s of steady readings: got %q, want only arrived", got)
	}
	evs = run(d, []indicator.Reading{{Time: t0.Add(2000 * time.Millisecond), Kg: 20000}})
	if got := summary(evs); got != "stable(20000)" {
		t.Fatalf("at 2.0 s: got %q, want stable", got)
	}
}

func TestNoisyStableValueIsTheMedian(t *testing.T) {
	d := New(params)
	evs := run(d, trace(7, seg{0, 31200, 2 * time.Second, 60, 0}, seg{31200, 31200, 4 * time.Second, 9, 0}))
	var got float64
	for _, e := range evs {
		if e.Kind == Stable {
			got = e.GrossKg
		}
	}
	if got != 31200 {
		t.Fatalf("stable weight %v, want within the noise of 31200", got)
	}
}

func TestSilenceClosesTheVisit(t *testing.T) {
	d := New(params)
	run(d, trace(1, seg{20000, 20000, 3 * time.Second, 0, 0}))
	last := t0.Add(3 * time.Second)
	if evs := d.Tick(last.Add(29 * time.Second)); len(evs) != 0 {
		t.Fatalf("closed too early: %v", evs)
	}
	evs := d.Tick(last.Add(31 * time.Second))
	if len(evs) != 1 || evs[0].Kind != Departed || evs[0].Reason != "silence" || !evs[0].Captured || evs[0].GrossKg != 20000 {
		t.Fatalf("got %+v", evs)
	}
	if d.State() != Empty {
		t.Fatalf("state %s", d.State())
	}
	if evs := d.Tick(last.Add(time.Hour)); len(evs) != 0 {
		t.Fatalf("an empty deck has nothing to close: %v", evs)
	}
}

func TestDepartureTimeIsAfterTheHold(t *testing.T) {
	d := New(params)
	evs := run(d, trace(1, seg{20000, 20000, 3 * time.Second, 0, 0}, seg{0, 0, 5 * time.Second, 0, 0}))
	last := evs[len(evs)-1]
	if last.Kind != Departed {
		t.Fatalf("got %s", summary(evs))
	}
	if hold := last.At.Sub(t0.Add(3 * time.Second)); hold != params.OffHold {
		t.Fatalf("departed %v after the weight dropped, want %v", hold, params.OffHold)
	}
}
