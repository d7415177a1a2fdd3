//go:build !nocv

package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/gateway"
	"sitegate/agent/lane"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision"
	"sitegate/testbench/broker"
	"sitegate/testbench/clip"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/pty"
	"sitegate/testbench/scene"
)

// heapedScorer is a cover scorer of this test: every load it sees is heaped.
type heapedScorer struct{}

func (heapedScorer) Name() string { return "gwtest" }
func (heapedScorer) Close() error { return nil }
func (heapedScorer) Score(frame gocv.Mat, regions []mud.Region) (mud.Result, error) {
	if frame.Empty() || len(regions) == 0 {
		return mud.Result{}, errors.New("no frame or no regions")
	}
	res := mud.Result{Score: 0.9, Quality: 1, Kind: cover.Heaped}
	for _, r := range regions {
		res.Regions = append(res.Regions, mud.RegionScore{Name: r.Name, Score: 0.9})
	}
	return res, nil
}

func init() {
	cover.Scorers.Register("gwtest", vision.Info{}, func(mud.Config) (mud.Scorer, error) { return heapedScorer{}, nil })
}

// TestCoverCheckInThePassage: a camera with a cover block gets a cover watcher beside the other
// camera's mud watcher; the truck's passage carries checks.cover with the kind found, the
// cover alarm, and the camera's cover evidence.
func TestCoverCheckInThePassage(t *testing.T) {
	mq := broker.StartMosquitto(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "gate.avi")
	if err := clip.Generate(src, clip.Options{Width: 640, Height: 360, FPS: 10, Seconds: 2}); err != nil {
		t.Fatal(err)
	}
	var rois strings.Builder
	for _, r := range scene.Regions {
		var pts []string
		for _, p := range r.Polygon {
			pts = append(pts, fmt.Sprintf("[%g, %g]", p[0], p[1]))
		}
		fmt.Fprintf(&rois, "          - {name: %s, polygon: [%s]}\n", r.Name, strings.Join(pts, ", "))
	}
	master, port := pty.Pair(t)
	yaml := fmt.Sprintf(`site: cov
gateway: gw-01
mqtt: {url: %q}
store: {dir: %q}
lanes:
  - id: exit-1
    scale: {port: %s, off_deck_hold: 500ms, stable_window: 800ms, stable_band_kg: 40}
    barrier: {hold_on: [overload, mud, cover]}
    cameras:
      - id: wheels
        url: %q
        rois:
%s      - id: bed
        url: %q
        cover:
          rois: [{name: bed, polygon: [[0.21, 0.30], [0.80, 0.30], [0.80, 0.75], [0.21, 0.75]]}]
          scorer: gwtest
          rate: 10
`, mq.URL(), filepath.Join(dir, "data"), port, src, rois.String(), src)
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	stored := make(chan lane.Passage, 4)
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnStored: func(p lane.Passage) { stored <- p }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	emu := indicatoremu.New(master, 50*time.Millisecond, indicatoremu.Options{})
	go emu.Run(ctx)
	truck := indicatoremu.Profile{
		{From: 0, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 21000, For: 500 * time.Millisecond},
		{From: 21000, To: 21000, For: 3 * time.Second, NoiseKg: 5},
		{From: 21000, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 0, For: 900 * time.Millisecond},
	}
	if err := emu.Play(ctx, truck); err != nil {
		t.Fatal(err)
	}
	var p lane.Passage
	select {
	case p = <-stored:
	case <-time.After(60 * time.Second):
		t.Fatal("no passage")
	}
	c := p.Checks.Cover
	if c == nil || c.Verdict != models.Alarm || c.Kind != cover.Heaped || c.Camera != "bed" || c.Scorer != "gwtest" || len(c.Regions) != 1 {
		t.Fatalf("checks.cover %+v (mud %+v)", c, p.Checks.Mud)
	}
	if p.Checks.Mud.Verdict == models.Unknown || p.Checks.Mud.Camera != "wheels" || p.Checks.Mud.Kind != "" {
		t.Fatalf("checks.mud %+v", p.Checks.Mud)
	}
	if !slices.Contains(p.Alarms, "cover") {
		t.Fatalf("alarms %v", p.Alarms)
	}
	var names []string
	for _, e := range p.Evidence {
		names = append(names, e.Name)
		names = append(names, e.Also...)
	}
	for _, want := range []string{"bed-cover.jpg", "bed-cover-annotated.jpg", "wheels-mud.jpg"} {
		if !slices.Contains(names, want) {
			t.Errorf("evidence %v lacks %s", names, want)
		}
	}
}
