package lane

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sitegate/agent/checks"
	_ "sitegate/agent/checks/all"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/registry"
)

// testChecks are every registered check with the default rules and the given cameras.
func testChecks(cams ...checks.Camera) []checks.Check {
	return checks.Build(checks.Deps{Rules: func() config.Rules { return config.Rules{} }, Cameras: cams})
}

type fakeWatcher struct {
	active  []bool
	out     checks.VisionOutcome
	caption checks.Caption
}

func (f *fakeWatcher) SetActive(on bool) { f.active = append(f.active, on) }
func (f *fakeWatcher) Peek() (bool, float64, float64) {
	return f.out.Judged, f.out.Score, f.out.Threshold
}
func (f *fakeWatcher) Take(c checks.Caption) checks.VisionOutcome {
	f.caption = c
	return f.out
}

func TestPassageMudCheck(t *testing.T) {
	fw := &fakeWatcher{out: checks.VisionOutcome{Camera: "wheels", Scorer: "onnx", Judged: true, Score: 0.91, Threshold: 0.5,
		Regions: []wire.RegionScore{{Name: "wheels", Score: 0.91}, {Name: "lower-body", Score: 0.2}}, Raw: []byte("raw"), Annotated: []byte("ann"), At: time.Now()}}
	cs := testChecks(checks.Camera{ID: "wheels", Vision: map[string]checks.VisionWatcher{"mud": fw}})
	d := draft{startedAt: time.Now(), endedAt: time.Now(), stable: true, grossKg: 31200, weighed: true}
	p, ev := judge(d, registry.Empty(), cs, time.UTC)
	if len(ev) != 2 || fw.caption.WeightKg != 31200 {
		t.Fatalf("judge gave %d evidence, caption %+v", len(ev), fw.caption)
	}
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
	plain, ev := judge(d, registry.Empty(), testChecks(checks.Camera{ID: "wheels"}), time.UTC)
	if plain.Checks.Mud.Verdict != models.Unknown || plain.Checks.Mud.Reason != "mud vision is not enabled on this lane" || len(ev) != 0 {
		t.Errorf("mud result without a watcher: %+v, %d evidence", plain.Checks.Mud, len(ev))
	}
	// The lane tells presence-aware checks when a truck is in the lane.
	l := &Lane{o: Options{Checks: cs}}
	l.setActive(true)
	l.setActive(false)
	if len(fw.active) != 2 || !fw.active[0] || fw.active[1] {
		t.Errorf("watcher told %v, want [true false]", fw.active)
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
