//go:build !nocv

package mudwatch

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/checks"
	"sitegate/drivers/camera"
	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

var quiet = slog.New(slog.DiscardHandler)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func regions() []mud.Region {
	var out []mud.Region
	for _, r := range scene.Regions {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		out = append(out, reg)
	}
	return out
}

// run starts fn in the background; the returned stop cancels it and waits.
func run(t *testing.T, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func muddyClip(t *testing.T, sev scene.Severity) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gate.avi")
	truck := scene.Spec{Seed: 11, Condition: scene.Day, Severity: sev, Shape: scene.Tipper3, Cab: "red", Body: "yellow"}
	// A truck that stands at the gate for the whole clip.
	if err := scene.WriteClip(path, scene.ClipOptions{Width: 640, Height: 360, FPS: 10, PerTruck: 1, Trucks: []scene.Spec{truck}, Standing: true}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWatcherJudgesWhileActive(t *testing.T) {
	cases := []struct {
		name   string
		sev    scene.Severity
		scorer mud.Config
		alarm  bool
	}{
		{"heavy mud, classic", scene.Heavy, mud.Config{Scorer: mud.Classic}, true},
		{"clean, onnx", scene.Clean, mud.Config{Scorer: mud.ONNX, Model: "../../models/mud/model/mud-cnn.yaml"}, false},
		{"heavy mud, onnx", scene.Heavy, mud.Config{Scorer: mud.ONNX, Model: "../../models/mud/model/mud-cnn.yaml"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cam := camera.New(camera.Options{ID: "wheels", URL: muddyClip(t, tc.sev), Logger: quiet})
			run(t, cam.Run)
			w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: tc.scorer, Threshold: 0.5, Rate: 20, Logger: quiet})
			run(t, w.Run)
			waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
			// Inactive: nothing is analysed.
			if out := w.Take(checks.Caption{}); out.Judged || w.Analysed() != 0 {
				t.Fatalf("judged while inactive: %+v", out)
			}
			w.SetActive(true)
			waitFor(t, "a few analyses", func() bool { return w.Analysed() >= 3 })
			w.SetActive(false)
			out := w.Take(checks.Caption{Plate: "浙F12345", WeightKg: 31200})
			if !out.Judged || out.Camera != "wheels" || out.Threshold != 0.5 || len(out.Regions) != 2 || out.At.IsZero() {
				t.Fatalf("outcome %+v", out)
			}
			if (out.Score >= 0.5) != tc.alarm {
				t.Errorf("score %.3f, want alarm %v", out.Score, tc.alarm)
			}
			for name, jpeg := range map[string][]byte{"raw": out.Raw, "annotated": out.Annotated} {
				m, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
				if err != nil || m.Empty() || m.Cols() != 640 {
					t.Errorf("%s evidence does not decode", name)
				}
				m.Close()
			}
			// Take starts afresh.
			if again := w.Take(checks.Caption{}); again.Judged {
				t.Errorf("second Take judged again: %+v", again)
			}
		})
	}
}

func TestWatcherUnknownReasons(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		url    string
		scorer mud.Config
		want   string
	}{
		{"camera down", filepath.Join(dir, "missing.avi"), mud.Config{Scorer: mud.Classic}, "camera wheels is down"},
		{"model missing", filepath.Join(dir, "missing.avi"), mud.Config{Scorer: mud.ONNX, Model: filepath.Join(dir, "none.yaml")}, "mud scorer onnx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cam := camera.New(camera.Options{ID: "wheels", URL: tc.url, MinBackoff: time.Hour, Logger: quiet})
			run(t, cam.Run)
			w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: tc.scorer, Threshold: 0.5, Logger: quiet})
			run(t, w.Run)
			waitFor(t, "the camera down", func() bool { return cam.Status().State == camera.StateDown })
			w.SetActive(true)
			out := w.Take(checks.Caption{})
			if out.Judged || !strings.Contains(out.Reason, tc.want) || len(out.Raw) > 0 {
				t.Fatalf("outcome %+v, want unknown with %q", out, tc.want)
			}
		})
	}
}

func TestLatin(t *testing.T) {
	cases := map[string]string{"浙F12345": "Zhe-F12345", "ABC123": "ABC123", "苏A99999": "Su-A99999", "ж1": "?1"}
	for in, want := range cases {
		if got := latin(in); got != want {
			t.Errorf("latin(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWatcherForgetsThePreviousTruck: frames kept while the lane was last busy, but never taken,
// must not judge the next truck.
func TestWatcherForgetsThePreviousTruck(t *testing.T) {
	cam := camera.New(camera.Options{ID: "wheels", URL: muddyClip(t, scene.Heavy), Logger: quiet})
	stopCam := run(t, cam.Run)
	w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: mud.Config{Scorer: mud.Classic}, Threshold: 0.5, Rate: 20, Logger: quiet})
	run(t, w.Run)
	waitFor(t, "the camera", func() bool { return cam.Status().State == camera.StateStreaming })
	w.SetActive(true)
	waitFor(t, "a few analyses", func() bool { return w.Analysed() >= 3 })
	w.SetActive(false) // the truck left without a passage taking the frame
	stopCam()          // from now on the camera has no frame at all
	w.SetActive(true)  // the next truck
	waitFor(t, "the camera to be down", func() bool { return cam.Status().State == camera.StateDown })
	if out := w.Take(checks.Caption{}); out.Judged {
		t.Fatalf("the next truck was judged on the previous truck's frame: %+v", out)
	}
}
