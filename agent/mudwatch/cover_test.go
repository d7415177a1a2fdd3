//go:build !nocv

package mudwatch

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/agent/checks"
	"sitegate/agent/framestore"
	"sitegate/drivers/camera"
	"sitegate/models"
	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision"
	"sitegate/testbench/scene"
)

// testCover is a cover scorer of this test: it checks the frame and regions it is given and
// returns the score and kind of the test model its config names (Model).
type testCover struct {
	score float64
	kind  string
}

// coverScorers are the test scorers by the Model their config gives.
var coverScorers = map[string]*testCover{
	"heaped": {score: 0.9, kind: cover.Heaped},
	"torn":   {score: 0.7, kind: cover.Torn},
	"low":    {score: 0.4, kind: cover.Covered}, // covered for the scorer, not below a threshold of 0.3
	"fine":   {score: 0.1, kind: cover.Covered},
}

func init() {
	cover.Scorers.Register("watchtest", vision.Info{NeedsModel: true}, func(cfg mud.Config) (mud.Scorer, error) {
		s, ok := coverScorers[cfg.Model]
		if !ok {
			return nil, errors.New("no such test model " + cfg.Model)
		}
		return s, nil
	})
}

func (s *testCover) Name() string { return "watchtest" }
func (s *testCover) Close() error { return nil }
func (s *testCover) Score(frame gocv.Mat, regions []mud.Region) (mud.Result, error) {
	if frame.Empty() || len(regions) == 0 {
		return mud.Result{}, errors.New("no frame or no regions")
	}
	res := mud.Result{Score: s.score, Quality: 1, Kind: s.kind}
	for _, r := range regions {
		res.Regions = append(res.Regions, mud.RegionScore{Name: r.Name, Score: s.score})
	}
	return res, nil
}

func bedRegions() []mud.Region {
	return []mud.Region{{Name: "bed", Polygon: [][2]float64{{0.21, 0.30}, {0.80, 0.30}, {0.80, 0.75}, {0.21, 0.75}}}}
}

// TestCoverWatcher: the watcher serves the cover check with a scorer of the cover registry: the
// kind found agrees with the verdict, the evidence is named for cover, and the judged frame is
// kept under the cover check beside the mud check's frame of the same camera and passage.
func TestCoverWatcher(t *testing.T) {
	cases := []struct {
		model     string
		threshold float64
		verdict   models.Verdict
		kind      string
		mud       bool // a mud watcher on the same camera
	}{
		{"heaped", 0.5, models.Alarm, cover.Heaped, true},
		{"torn", 0.5, models.Alarm, cover.Torn, false},
		{"fine", 0.5, models.OK, cover.Covered, false},
		{"low", 0.3, models.Alarm, cover.Uncovered, false},
		{"heaped", 0.95, models.OK, cover.Covered, false},
	}
	for _, tc := range cases {
		t.Run(tc.model+"/"+tc.kind, func(t *testing.T) {
			store, err := framestore.Open(filepath.Join(t.TempDir(), "frames"), framestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cam := camera.New(camera.Options{ID: "bed", URL: muddyClip(t, scene.Heavy), Logger: quiet})
			run(t, cam.Run)
			cw := New(Options{Check: CheckCover, CameraID: "bed", Camera: cam, Regions: bedRegions(), Scorer: mud.Config{Scorer: "watchtest", Model: tc.model},
				Threshold: tc.threshold, Rate: 20, Logger: quiet, Store: store})
			run(t, cw.Run)
			var mw *Watcher
			if tc.mud {
				mw = New(Options{CameraID: "bed", Camera: cam, Regions: regions(), Scorer: mud.Config{Scorer: mud.Classic}, Threshold: 0.5, Rate: 5, Logger: quiet, Store: store})
				run(t, mw.Run)
			}
			waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
			cw.SetActive(true)
			if mw != nil {
				mw.SetActive(true)
				waitFor(t, "a mud analysis", func() bool { return mw.Analysed() >= 1 })
				mw.SetActive(false)
			}
			waitFor(t, "a few analyses", func() bool { return cw.Analysed() >= 3 })
			cw.SetActive(false)
			c := checks.Caption{PassageID: "p1", Plate: "浙F12345"}
			out := cw.Take(c)
			if !out.Judged || out.Kind != tc.kind || out.Scorer != "watchtest" || out.Model != "watchtest/shipped" || len(out.Regions) != 1 || out.Regions[0].Name != "bed" {
				t.Fatalf("cover outcome %+v", out)
			}
			if mw != nil {
				if mo := mw.Take(c); !mo.Judged || mo.Kind != "" || len(mo.Regions) != 2 {
					t.Fatalf("mud outcome beside it %+v", mo)
				}
			}
			r, ev := checks.NewVision("cover", nil, nil, "").Combine([]checks.VisionOutcome{out})
			if r.Verdict != tc.verdict || r.Kind != tc.kind || len(ev) != 2 || ev[0].Name != "bed-cover.jpg" || ev[1].Name != "bed-cover-annotated.jpg" {
				t.Fatalf("check %+v, evidence %d", r, len(ev))
			}
			for _, jpeg := range [][]byte{out.Raw, out.Annotated} {
				m, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
				if err != nil || m.Empty() || m.Cols() != 640 {
					t.Error("cover evidence does not decode")
				}
				m.Close()
			}
			want := 1
			if mw != nil {
				want = 2
			}
			waitFor(t, "the frames kept", func() bool { return store.Len() == want })
			es, err := framestore.List(store.Dir(), "bed")
			if err != nil || len(es) != want {
				t.Fatalf("kept %+v, %v", es, err)
			}
			got := map[string]framestore.Kept{}
			for _, e := range es {
				got[e.Kept.Check] = e.Kept
			}
			if k := got["cover"]; k.PassageID != "p1" || len(k.Crops) != 1 || k.Crops[0] != "bed.jpg" || k.Scorer != "watchtest" {
				t.Errorf("cover frame kept %+v", k)
			}
			if k := got["mud"]; mw != nil && (k.PassageID != "p1" || len(k.Crops) != 2) {
				t.Errorf("mud frame kept %+v", k)
			}
			if _, err := store.Label("p1", "cover", tc.kind, "officer"); err != nil {
				t.Errorf("review of the cover frame: %v", err)
			}
		})
	}
}

// TestCoverBlindAndUnavailable: a blind camera gives unknown for cover with the reason, never
// ok; a scorer that cannot be built says so in every result.
func TestCoverBlindAndUnavailable(t *testing.T) {
	cam := camera.New(camera.Options{ID: "bed", URL: blindClip(t, "black"), Logger: quiet})
	run(t, cam.Run)
	var sl sightLog
	w := New(Options{Check: CheckCover, CameraID: "bed", Camera: cam, Regions: bedRegions(), Scorer: mud.Config{Scorer: "watchtest", Model: "heaped"},
		Threshold: 0.5, Rate: 20, Logger: quiet, OnSight: sl.on})
	run(t, w.Run)
	waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
	w.SetActive(true)
	waitFor(t, "a few frames", func() bool { return w.Analysed() >= 3 })
	out := w.Take(checks.Caption{PassageID: "p1"})
	const want = "camera cannot see: too dark"
	if out.Judged || out.Reason != want || out.Kind != "" {
		t.Fatalf("outcome %+v, want unknown with %q", out, want)
	}
	r, ev := checks.NewVision("cover", nil, nil, "").Combine([]checks.VisionOutcome{out})
	if r.Verdict != models.Unknown || r.Reason != want || r.Kind != "" || len(ev) != 0 {
		t.Fatalf("check %+v", r)
	}
	if _, last := sl.get(); last != want {
		t.Fatalf("sight told %q", last)
	}

	bad := New(Options{Check: CheckCover, CameraID: "bed", Camera: cam, Regions: bedRegions(), Scorer: mud.Config{Scorer: "nope"}, Threshold: 0.5, Logger: quiet})
	run(t, bad.Run)
	bad.SetActive(true)
	if out := bad.Take(checks.Caption{}); out.Judged || !strings.Contains(out.Reason, `camera bed: cover scorer nope: cover: unknown scorer "nope"`) {
		t.Fatalf("unavailable scorer: %+v", out)
	}
}
