package lane

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sitegate/models"
	"sitegate/models/registry"
)

func TestMudResult(t *testing.T) {
	judged := func(cam string, score float64) MudOutcome {
		return MudOutcome{Camera: cam, Scorer: "classic", Judged: true, Score: score, Threshold: 0.5,
			Regions: []MudRegion{{Name: "wheels", Score: score}}, Raw: []byte{1}, Annotated: []byte{2}}
	}
	down := MudOutcome{Camera: "side", Threshold: 0.5, Reason: "camera side is down"}
	cases := []struct {
		name      string
		outs      []MudOutcome
		verdict   models.Verdict
		camera    string
		reason    string
		evidence  int
		wantScore float64
	}{
		{"clean", []MudOutcome{judged("wheels", 0.2)}, models.OK, "wheels", "", 2, 0.2},
		{"muddy", []MudOutcome{judged("wheels", 0.8)}, models.Alarm, "wheels", "", 2, 0.8},
		{"at threshold", []MudOutcome{judged("wheels", 0.5)}, models.Alarm, "wheels", "", 2, 0.5},
		{"camera down", []MudOutcome{down}, models.Unknown, "", "camera side is down", 0, 0},
		{"one down, one judged", []MudOutcome{down, judged("wheels", 0.3)}, models.OK, "wheels", "camera side is down", 2, 0.3},
		{"alarm wins", []MudOutcome{judged("a", 0.45), judged("b", 0.7)}, models.Alarm, "b", "", 4, 0.7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ev := mudResult(tc.outs)
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

type fakeWatcher struct {
	active  []bool
	out     MudOutcome
	caption MudCaption
}

func (f *fakeWatcher) SetActive(on bool) { f.active = append(f.active, on) }
func (f *fakeWatcher) Take(c MudCaption) MudOutcome {
	f.caption = c
	return f.out
}

func TestPassageMudCheck(t *testing.T) {
	fw := &fakeWatcher{out: MudOutcome{Camera: "wheels", Scorer: "onnx", Judged: true, Score: 0.91, Threshold: 0.5,
		Regions: []MudRegion{{Name: "wheels", Score: 0.91}, {Name: "lower-body", Score: 0.2}}, Raw: []byte("raw"), Annotated: []byte("ann"), At: time.Now()}}
	l := &Lane{o: Options{Cameras: []Camera{{ID: "wheels", Mud: fw}}}}
	d := draft{startedAt: time.Now(), endedAt: time.Now(), stable: true, grossKg: 31200, weighed: true}
	m, ev := l.takeMud(d)
	if m == nil || len(ev) != 2 || fw.caption.WeightKg != 31200 {
		t.Fatalf("takeMud = %+v, %d evidence, caption %+v", m, len(ev), fw.caption)
	}
	d.mud, d.evidence = m, ev
	p := judge(d, registry.Empty(), 0, time.UTC)
	if p.Checks.Mud.Verdict != models.Alarm || !contains(p.Alarms, "mud") || len(p.Evidence) != 2 {
		t.Fatalf("passage %+v", p)
	}
	b, _ := json.Marshal(p.Checks.Mud)
	for _, want := range []string{`"verdict":"alarm"`, `"score":0.91`, `"threshold":0.5`, `"regions":[{"name":"wheels","score":0.91}`, `"camera":"wheels"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	names := p.Evidence[0].Name + " " + p.Evidence[1].Name
	if names != "wheels-mud.jpg wheels-mud-annotated.jpg" {
		t.Errorf("evidence %s", names)
	}
	// A lane without mud cameras keeps the plain unknown.
	plain := &Lane{o: Options{Cameras: []Camera{{ID: "wheels"}}}}
	if m, _ := plain.takeMud(d); m != nil {
		t.Errorf("mud result without a watcher: %+v", m)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
