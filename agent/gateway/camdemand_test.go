//go:build !nocv

package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sitegate/agent/gateway"
	"sitegate/agent/lane"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/testbench/broker"
	"sitegate/testbench/clip"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/pty"
	"sitegate/testbench/rtspserver"
	"sitegate/testbench/scene"
)

// TestOnDemandCameraTruckVisit: an RTSP camera in the default capture (on demand, decoding
// nothing while the lane is empty) still gives a truck's passage its frame and a mud verdict,
// and the alarmed passage (no plate) carries the clip, which ffprobe reads and which covers the
// capture.
func TestOnDemandCameraTruckVisit(t *testing.T) {
	mq := broker.StartMosquitto(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "gate.avi")
	if err := clip.Generate(src, clip.Options{Width: 640, Height: 360, FPS: 10, Seconds: 2}); err != nil {
		t.Fatal(err)
	}
	url := rtspserver.Serve(t, src, 10)
	var rois strings.Builder
	for _, r := range scene.Regions {
		var pts []string
		for _, p := range r.Polygon {
			pts = append(pts, fmt.Sprintf("[%g, %g]", p[0], p[1]))
		}
		fmt.Fprintf(&rois, "          - {name: %s, polygon: [%s]}\n", r.Name, strings.Join(pts, ", "))
	}
	master, port := pty.Pair(t)
	yaml := fmt.Sprintf(`site: cam
gateway: gw-01
mqtt: {url: %q}
store: {dir: %q}
lanes:
  - id: exit-1
    scale: {port: %s, off_deck_hold: 500ms, stable_window: 800ms, stable_band_kg: 40}
    cameras:
      - id: wheels
        url: %q
        clip: {before: 3s, after: 2s}
        rois:
%s`, mq.URL(), filepath.Join(dir, "data"), port, url, rois.String())
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Lanes[0].Cameras[0]; c.Capture != "on_demand" {
		t.Fatalf("default capture %q", c.Capture)
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sub := broker.Subscribe(t, mq.URL(), "sitegate/v1/cam/gw-01/#")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	emu := indicatoremu.New(master, 50*time.Millisecond, indicatoremu.Options{})
	go emu.Run(ctx)

	// Let the camera's packets flow for a while with the lane empty: nothing is decoded.
	time.Sleep(3500 * time.Millisecond)
	truck := indicatoremu.Profile{
		{From: 0, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 21000, For: 500 * time.Millisecond},
		{From: 21000, To: 21000, For: 4 * time.Second, NoiseKg: 5},
		{From: 21000, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 0, For: 900 * time.Millisecond},
	}
	if err := emu.Play(ctx, truck); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var p lane.Passage
	deadline := time.After(30 * time.Second)
	for p.ID == "" {
		select {
		case m := <-sub:
			switch {
			case strings.Contains(m.Topic, "/evidence/"):
				files[m.Topic[strings.LastIndex(m.Topic, "/")+1:]] = m.Payload
			case strings.HasSuffix(m.Topic, "/passage"):
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					t.Fatal(err)
				}
			}
		case <-deadline:
			t.Fatal("no passage")
		}
	}
	if p.Checks.Mud.Verdict == models.Unknown {
		t.Fatalf("mud check not judged: %+v", p.Checks.Mud)
	}
	times := map[string]time.Time{}
	for _, e := range p.Evidence {
		at, _ := time.Parse(lane.TimeLayout, e.Time)
		times[e.Name] = at
		if len(files[e.Name]) != e.Bytes {
			t.Errorf("evidence %s: %d bytes published, %d listed", e.Name, len(files[e.Name]), e.Bytes)
		}
	}
	for _, name := range []string{"wheels.jpg", "wheels-mud.jpg", "wheels-clip.mp4"} {
		if _, ok := times[name]; !ok {
			t.Fatalf("passage lacks %s: %+v", name, p.Evidence)
		}
	}
	d := ffprobeDuration(t, files["wheels-clip.mp4"])
	start, capture := times["wheels-clip.mp4"], times["wheels.jpg"]
	end := start.Add(time.Duration(d * float64(time.Second)))
	if start.After(capture) || end.Before(capture) {
		t.Errorf("clip %v..%v does not cover the capture at %v", start, end, capture)
	}
	t.Logf("clip %d bytes, %.2f s, from %v before the capture; alarms %v, mud %s", len(files["wheels-clip.mp4"]), d, capture.Sub(start), p.Alarms, p.Checks.Mud.Verdict)
}

func ffprobeDuration(t *testing.T, mp4 []byte) float64 {
	t.Helper()
	ff, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed (make test installs ffmpeg)")
	}
	p := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(p, mp4, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ff, "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || d <= 0 {
		t.Fatalf("ffprobe duration %q: %v", out, err)
	}
	return d
}
