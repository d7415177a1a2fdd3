//go:build !nocv

package main

import (
	"bytes"
	"encoding/gob"
	"reflect"

	"flag"
	"os"
	"sitegate/models/mud"
	"strings"
	"testing"

	"sitegate/models/cover"
)

var (
	nGates     = flag.Int("gates", 1, "evaluation gates for TestLeaveGatesOut (2 for the documented table)")
	verbose    = flag.Bool("table", false, "print the per-gate, per-view and per-condition tables")
	acceptance = flag.Bool("acceptance", false, "fail below the acceptance F1 (0.90 at every gate, uncalibrated and calibrated) rather than the figures reached")
)

// reached are the figures the shipped model reaches on the first evaluation gate (above-2001:
// 60 calibration frames, 200 test frames), less 0.02: below them a change made the scorer worse
// (docs/cover-scorer.md, "Figures"). They are below the acceptance's 0.90, which -acceptance
// asserts instead.
var reached = struct {
	minUncal, pooledUncal, pooledCal, kind float64
	blind                                  float64 // the most the quality judge may refuse
}{
	// reached 0.875 uncalibrated, 0.878 calibrated, kind 0.690 (89/129), refused 1/200
	minUncal: 0.85, pooledUncal: 0.85, pooledCal: 0.85, kind: 0.67, blind: 0.02,
}

// acceptance (issue 14): cover F1 at gates never used in fitting.
const acceptF1 = 0.90

// TestLeaveGatesOut scores the shipped cover model at gates no fit or choice of settings saw
// (EvalGates), uncalibrated and after a calibration on 60 labelled frames of each gate, on 200
// other frames of it. `-args -gates 8 -table` gives the documented table.
func TestLeaveGatesOut(t *testing.T) {
	skipEmulated(t)
	if testing.Short() || raceOn {
		t.Skip("renders and scores 260 frames a gate: run without -short and -race (docs/cover-scorer.md)")
	}
	gs, err := renderEval(evalSet(*nGates))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := leaveGatesOut(cover.DefaultModel, gs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printResults(&b, rs)
	if *verbose {
		os.Stdout.WriteString(b.String())
	}
	t.Log("\n" + b.String())
	s := summarise(rs)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"worst gate F1 uncalibrated", s.MinUncal, reached.minUncal},
		{"pooled F1 uncalibrated", s.Pooled.Uncal.F1(), reached.pooledUncal},
		{"pooled F1 calibrated", s.Pooled.Cal.F1(), reached.pooledCal},
		{"kind accuracy", ratio(s.KindRight, s.KindN), reached.kind},
	} {
		if c.got < c.want {
			t.Errorf("%s %.3f, below the %.3f reached less 0.02", c.name, c.got, c.want)
		}
	}
	if *acceptance {
		for _, r := range rs {
			if u, c := r.All.Uncal.F1(), r.All.Cal.F1(); u < acceptF1 || c < acceptF1 {
				t.Errorf("%s: F1 %.3f uncalibrated, %.3f calibrated; the acceptance asks %.2f", r.Gate, u, c, acceptF1)
			}
		}
	}
	if b := ratio(s.Blind, s.Frames); b > reached.blind {
		t.Errorf("the quality judge refused %.3f of normal frames, more than %.3f", b, reached.blind)
	}
}

// TestRegionAlarm: the above-bed band is an alarm only for a heap.
func TestRegionAlarm(t *testing.T) {
	for _, c := range []struct {
		label, region string
		want          bool
	}{
		{"covered", "bed", false}, {"open", "bed", true}, {"torn", "bed", true}, {"heaped", "bed", true},
		{"covered", cover.AboveBed, false}, {"open", cover.AboveBed, false}, {"torn", cover.AboveBed, false}, {"heaped", cover.AboveBed, true},
	} {
		if got := regionAlarm(c.label, c.region); got != c.want {
			t.Errorf("regionAlarm(%s, %s) = %v", c.label, c.region, got)
		}
	}
}

// skipEmulated skips a compute-heavy test under an emulator ($SITEGATE_TEST_EXEC).
func skipEmulated(t *testing.T) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: run natively, not under an emulator")
	}
}

// TestCacheKeepsFeatures: the evaluation frames survive the cache file (gob keeps only
// exported fields).
func TestCacheKeepsFeatures(t *testing.T) {
	in := []evalGate{{Name: "g", Cal: []evalFrame{{Truth: truth{Label: "open"}, Regions: []mud.Region{{Name: "bed"}}, Feats: [][]float64{{1, 2}}, Blind: true}}}}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	var out []evalGate
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("cached %+v, read back %+v", in, out)
	}
}
