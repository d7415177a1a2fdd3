package cover_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sitegate/agent/checks"
	_ "sitegate/agent/checks/all"
	"sitegate/agent/checks/cover"
	"sitegate/agent/wire"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
	"sitegate/models"
)

// watcher is a camera's cover watcher with a fixed outcome.
type watcher struct {
	out    checks.VisionOutcome
	active bool
	taken  int
}

func (w *watcher) SetActive(on bool) { w.active = on }
func (w *watcher) Take(checks.Caption) checks.VisionOutcome {
	w.taken++
	return w.out
}
func (w *watcher) Peek() (bool, float64, float64) { return w.out.Judged, w.out.Score, w.out.Threshold }

// build returns the lane's cover check over cams (camera id: its cover watcher, nil for none),
// each camera also having a mud watcher that must not be taken.
func build(t *testing.T, mud *watcher, cams map[string]*watcher) checks.Check {
	t.Helper()
	var cs []checks.Camera
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for k := range cams {
			if !yield(k) {
				return
			}
		}
	}) {
		c := checks.Camera{ID: id, Vision: map[string]checks.VisionWatcher{"mud": mud}}
		if w := cams[id]; w != nil {
			c.Vision[cover.Name] = w
		}
		cs = append(cs, c)
	}
	for _, c := range checks.Build(checks.Deps{Cameras: cs}) {
		if c.Name() == cover.Name {
			return c
		}
	}
	t.Fatal("no cover check built")
	return nil
}

func judged(cam, kind string, score float64) checks.VisionOutcome {
	return checks.VisionOutcome{Camera: cam, Scorer: "classic", Model: "classic/shipped", Judged: true, Score: score, Threshold: 0.5,
		Kind: kind, Regions: []wire.RegionScore{{Name: "bed", Score: score}}, Raw: []byte{1}, Annotated: []byte{2}}
}

func TestCoverCheck(t *testing.T) {
	blind := checks.VisionOutcome{Camera: "side", Threshold: 0.5, Reason: "camera cannot see: the image is too dark"}
	cases := []struct {
		name     string
		cams     map[string]*watcher
		verdict  models.Verdict
		kind     string
		camera   string
		reason   string
		evidence []string
	}{
		{"no camera has cover", map[string]*watcher{"wheels": nil}, models.Unknown, "", "", cover.Disabled, nil},
		{"covered", map[string]*watcher{"bed": {out: judged("bed", "covered", 0.1)}}, models.OK, "covered", "bed", "",
			[]string{"bed-cover.jpg", "bed-cover-annotated.jpg"}},
		{"heaped", map[string]*watcher{"bed": {out: judged("bed", "heaped", 0.9)}}, models.Alarm, "heaped", "bed", "",
			[]string{"bed-cover.jpg", "bed-cover-annotated.jpg"}},
		{"blind", map[string]*watcher{"side": {out: blind}}, models.Unknown, "", "", "camera cannot see: the image is too dark", nil},
		{"the torn one of two", map[string]*watcher{"bed": {out: judged("bed", "covered", 0.2)}, "side": {out: judged("side", "torn", 0.7)}},
			models.Alarm, "torn", "side", "", []string{"bed-cover.jpg", "bed-cover-annotated.jpg", "side-cover.jpg", "side-cover-annotated.jpg"}},
		{"one blind, one open", map[string]*watcher{"bed": {out: judged("bed", "open", 0.8)}, "side": {out: blind}},
			models.Alarm, "open", "bed", "camera cannot see", []string{"bed-cover.jpg", "bed-cover-annotated.jpg"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mud := &watcher{out: judged("wheels", "", 0.9)}
			c := build(t, mud, tc.cams)
			f := &checks.Facts{PassageID: "p-1"}
			var out wire.Checks
			if v := c.Judge(f, &out); v != tc.verdict {
				t.Fatalf("verdict %s, want %s", v, tc.verdict)
			}
			r := out.Cover
			if r == nil || r.Verdict != tc.verdict || r.Kind != tc.kind || r.Camera != tc.camera || !strings.Contains(r.Reason, tc.reason) {
				t.Fatalf("checks.cover %+v", r)
			}
			if mud.taken != 0 {
				t.Error("the cover check took a mud watcher's outcome")
			}
			var names []string
			for _, e := range f.Evidence() {
				names = append(names, e.Name)
			}
			if !slices.Equal(names, tc.evidence) {
				t.Errorf("evidence %v, want %v", names, tc.evidence)
			}
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				Cover struct {
					Verdict string `json:"verdict"`
					Kind    string `json:"kind"`
				} `json:"cover"`
			}
			if err := json.Unmarshal(b, &back); err != nil || back.Cover.Verdict != string(tc.verdict) || back.Cover.Kind != tc.kind {
				t.Errorf("passage checks %s", b)
			}
			if tc.verdict == models.Alarm && !strings.Contains(string(b), `"kind":"`+tc.kind+`"`) {
				t.Errorf("the kind is not in the passage: %s", b)
			}
		})
	}
}

// The check is in the passage's alarms between mud and manifest, and barrier.hold_on may name it.
func TestCoverIsRegisteredBetweenMudAndManifest(t *testing.T) {
	names := checks.Names()
	i, m, n := slices.Index(names, "mud"), slices.Index(names, cover.Name), slices.Index(names, "manifest")
	if i < 0 || m < 0 || n < 0 || !(i < m && m < n) {
		t.Fatalf("checks %v", names)
	}
	cfg := "site: s1\ngateway: g1\nlanes:\n  - id: exit-1\n    scale: {port: /dev/ttyUSB0}\n    barrier: {hold_on: [overload, mud, cover]}\n"
	c, err := config.Parse([]byte(cfg), t.TempDir())
	if err != nil || !slices.Contains(c.Lanes[0].Barrier.HoldOn, "cover") {
		t.Fatalf("hold_on with cover: %v", err)
	}
	if _, err := config.Parse([]byte(strings.Replace(cfg, "cover]", "covered]", 1)), t.TempDir()); err == nil || !strings.Contains(err.Error(), "hold_on[2]") {
		t.Fatalf("hold_on with a name that is no check: %v", err)
	}
	var out wire.Checks
	f := &checks.Facts{}
	alarms := checks.Run(checks.Build(checks.Deps{}), f, &out)
	if slices.Contains(alarms, cover.Name) || out.Cover == nil || out.Cover.Verdict != models.Unknown {
		t.Fatalf("a lane without cover cameras: alarms %v, cover %+v", alarms, out.Cover)
	}
}

// While the truck is on the deck the check only peeks, and waits for a camera that has judged
// nothing yet.
func TestCoverProvisional(t *testing.T) {
	w := &watcher{out: checks.VisionOutcome{Camera: "bed", Threshold: 0.5}}
	c := build(t, &watcher{}, map[string]*watcher{"bed": w})
	f := &checks.Facts{Provisional: true}
	var out wire.Checks
	c.Judge(f, &out)
	if !slices.Contains(f.Waiting, cover.Name) || w.taken != 0 {
		t.Fatalf("waiting %v, taken %d", f.Waiting, w.taken)
	}
	w.out = judged("bed", "open", 0.8)
	f = &checks.Facts{Provisional: true}
	if v := c.Judge(f, &out); v != models.Alarm || slices.Contains(f.Waiting, cover.Name) || w.taken != 0 {
		t.Fatalf("verdict %s, waiting %v, taken %d", v, f.Waiting, w.taken)
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		kind             string
		score, threshold float64
		want             string
	}{
		{"heaped", 0.9, 0.5, "heaped"},
		{"torn", 0.6, 0.5, "torn"},
		{"open", 0.5, 0.5, "open"},
		{"heaped", 0.9, 0.95, "covered"}, // below a raised threshold: ok, so covered
		{"covered", 0.4, 0.3, "uncovered"},
		{"", 0.7, 0.5, "uncovered"},
		{"covered", 0.1, 0.5, "covered"},
	} {
		if got := cover.KindOf(c.kind, c.score, c.threshold); got != c.want {
			t.Errorf("KindOf(%q, %g, %g) = %q, want %q", c.kind, c.score, c.threshold, got, c.want)
		}
	}
}
