package checks

import (
	"strings"
	"testing"

	"sitegate/agent/wire"
	"sitegate/models"
)

func TestVisionCombine(t *testing.T) {
	judged := func(cam string, score float64) VisionOutcome {
		return VisionOutcome{Camera: cam, Scorer: "classic", Judged: true, Score: score, Threshold: 0.5,
			Regions: []wire.RegionScore{{Name: "wheels", Score: score}}, Raw: []byte{1}, Annotated: []byte{2}}
	}
	down := VisionOutcome{Camera: "side", Threshold: 0.5, Reason: "camera side is down"}
	cases := []struct {
		name      string
		outs      []VisionOutcome
		verdict   models.Verdict
		camera    string
		reason    string
		evidence  int
		wantScore float64
	}{
		{"clean", []VisionOutcome{judged("wheels", 0.2)}, models.OK, "wheels", "", 2, 0.2},
		{"muddy", []VisionOutcome{judged("wheels", 0.8)}, models.Alarm, "wheels", "", 2, 0.8},
		{"at threshold", []VisionOutcome{judged("wheels", 0.5)}, models.Alarm, "wheels", "", 2, 0.5},
		{"camera down", []VisionOutcome{down}, models.Unknown, "", "camera side is down", 0, 0},
		{"one down, one judged", []VisionOutcome{down, judged("wheels", 0.3)}, models.OK, "wheels", "camera side is down", 2, 0.3},
		{"alarm wins", []VisionOutcome{judged("a", 0.45), judged("b", 0.7)}, models.Alarm, "b", "", 4, 0.7},
	}
	v := NewVision("mud", nil, func(*wire.Checks, wire.VisionResult) {}, "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ev := v.Combine(tc.outs)
			if r.Verdict != tc.verdict || r.Camera != tc.camera || len(ev) != tc.evidence {
				t.Fatalf("result %+v, %d evidence", r, len(ev))
			}
			if tc.reason != "" && !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q, want %q", r.Reason, tc.reason)
			}
			if tc.verdict == models.Unknown {
				if r.Score != nil {
					t.Errorf("unknown verdict with a score")
				}
				return
			}
			if r.Score == nil || *r.Score != tc.wantScore || r.Threshold != 0.5 || len(r.Regions) != 1 {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// stub is a check that returns a fixed verdict, for the registry tests.
type stub struct {
	name string
	v    models.Verdict
}

func (s stub) Name() string                              { return s.name }
func (s stub) Judge(*Facts, *wire.Checks) models.Verdict { return s.v }

func TestRunListsAlarmsInOrder(t *testing.T) {
	cs := []Check{stub{"a", models.Alarm}, stub{"b", models.OK}, stub{"c", models.Unknown}, stub{"d", models.Alarm}}
	got := Run(cs, &Facts{}, &wire.Checks{})
	if strings.Join(got, ",") != "a,d" {
		t.Errorf("alarms %v, want [a d]", got)
	}
	if got := Run(nil, &Facts{}, &wire.Checks{}); got == nil || len(got) != 0 {
		t.Errorf("no checks: alarms %#v, want an empty list", got)
	}
}
