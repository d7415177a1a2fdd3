//go:build !nocv

package mudwatch

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/checks"
	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	"sitegate/drivers/camera"
	"sitegate/models/mud"
	"sitegate/models/vision/head"
	"sitegate/testbench/scene"
)

// blindClip writes a clip of frames a blind camera gives: black, flat grey, or a truck heavily
// out of focus.
func blindClip(t *testing.T, kind string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), kind+".avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, 640, 360, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	truck := scene.Spec{Seed: 11, Condition: scene.Day, Severity: scene.Heavy, Shape: scene.Tipper3, Cab: "red", Body: "yellow"}
	for i := 0; i < 20; i++ {
		var m gocv.Mat
		switch kind {
		case "black":
			m = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 360, 640, gocv.MatTypeCV8UC3)
		case "grey":
			m = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 360, 640, gocv.MatTypeCV8UC3)
		case "blurred":
			s := truck
			s.Seed += uint64(i)
			sharp, err := scene.Render(s, 640, 360)
			if err != nil {
				t.Fatal(err)
			}
			m = gocv.NewMat()
			gocv.GaussianBlur(sharp, &m, image.Pt(31, 31), 0, 0, gocv.BorderReflect)
			sharp.Close()
		}
		err := vw.Write(m)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return path
}

type sightLog struct {
	mu   sync.Mutex
	last string
	n    int
}

func (s *sightLog) on(blind bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.last = ""
	if blind {
		s.last = reason
	}
}

func (s *sightLog) get() (int, string) { s.mu.Lock(); defer s.mu.Unlock(); return s.n, s.last }

// TestBlindCameraIsUnknown: black, flat grey and heavily blurred frames give unknown with the
// reason, for every scorer, never ok.
func TestBlindCameraIsUnknown(t *testing.T) {
	kinds := map[string]string{"black": "camera cannot see: too dark", "grey": "camera cannot see: no contrast", "blurred": "camera cannot see: blurred"}
	for _, name := range mud.Scorers.Names() {
		sc := mud.Config{Scorer: name}
		if name == mud.ONNX {
			sc.Model = "../../models/mud/model/mud-cnn.yaml"
		}
		for kind, want := range kinds {
			t.Run(name+"/"+kind, func(t *testing.T) {
				cam := camera.New(camera.Options{ID: "wheels", URL: blindClip(t, kind), Logger: quiet})
				run(t, cam.Run)
				var sl sightLog
				w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: sc, Threshold: 0.5, Rate: 20, Logger: quiet, OnSight: sl.on})
				run(t, w.Run)
				waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
				w.SetActive(true)
				waitFor(t, "a few frames", func() bool { return w.Analysed() >= 3 })
				if judged, _, _ := w.Peek(); judged {
					t.Fatal("a blind frame was judged")
				}
				out := w.Take(checks.Caption{PassageID: "p1"})
				if out.Judged || out.Reason != want {
					t.Fatalf("outcome judged %v, reason %q; want %q", out.Judged, out.Reason, want)
				}
				r, _ := checks.NewVision("mud", nil, nil, "").Combine([]checks.VisionOutcome{out})
				if r.Verdict != "unknown" || r.Reason != want {
					t.Fatalf("check %+v", r)
				}
				if n, last := sl.get(); n == 0 || last != want {
					t.Fatalf("told %d times, last %q", n, last)
				}
				if blind, reason := w.Sight(); !blind || "camera cannot see: "+reason != want {
					t.Fatalf("Sight() = %v, %q", blind, reason)
				}
			})
		}
	}
}

// TestKeepsFramesAndFollowsTheModel: a passage's judged frame is kept with its crops, and a
// model adopted in the camera's folder judges the next passage and is named in its check.
func TestKeepsFramesAndFollowsTheModel(t *testing.T) {
	dir := t.TempDir()
	store, err := framestore.Open(filepath.Join(dir, "frames"), framestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	models := mudlearn.Open(filepath.Join(dir, "models"), "wheels")
	cam := camera.New(camera.Options{ID: "wheels", URL: muddyClip(t, scene.Heavy), Logger: quiet})
	run(t, cam.Run)
	w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: mud.Config{Scorer: mud.Classic}, Threshold: 0.5, Rate: 20,
		Logger: quiet, Store: store, Models: &models})
	run(t, w.Run)
	waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
	passage := func(id string) checks.VisionOutcome {
		w.SetActive(true)
		waitFor(t, "a few analyses", func() bool { return w.Analysed() >= 3 })
		w.SetActive(false)
		return w.Take(checks.Caption{PassageID: id})
	}
	out := passage("p1")
	if !out.Judged || out.Model != "classic/shipped" || out.Score < 0.5 {
		t.Fatalf("first passage %+v", out)
	}
	waitFor(t, "the frame kept", func() bool { return store.Len() == 1 })
	es, err := framestore.List(store.Dir(), "wheels")
	if err != nil || len(es) != 1 || es[0].Kept.PassageID != "p1" || len(es[0].Kept.Crops) != 2 || es[0].Kept.Model != "classic/shipped" {
		t.Fatalf("kept %+v, %v", es, err)
	}
	// A head that calls this truck clean (its threshold above any score).
	h := head.Head{Schema: head.Schema, Scorer: mud.Classic, Regions: []string{"wheels", "lower-body"}, Weights: []float64{0.01, 0.01}, Bias: -5, Threshold: 0.9}
	if _, err := models.Adopt(mudlearn.Model{Head: h}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out = passage(fmt.Sprintf("p-%d", time.Now().UnixNano()))
		if out.Model == "classic/wheels-v1" || time.Now().After(deadline) {
			break
		}
	}
	if out.Model != "classic/wheels-v1" || out.Score >= out.Threshold || out.Threshold != 0.9 {
		t.Fatalf("after adopting: %+v", out)
	}
	if w.Model() != "classic/wheels-v1" {
		t.Fatalf("Model() = %q", w.Model())
	}
	if _, err := models.Rollback(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for w.Model() != "classic/shipped" && time.Now().Before(deadline) {
		passage(fmt.Sprintf("p-%d", time.Now().UnixNano()))
	}
	if !strings.HasSuffix(w.Model(), "/shipped") {
		t.Fatalf("after the rollback: %q", w.Model())
	}
}
