//go:build !nocv

package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/gateway"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
	"sitegate/testbench/pty"
	"sitegate/testbench/rtspserver"
	"sitegate/testbench/washscene"
)

// TestWashCameraWatchesAnEmptyLane: an on-demand RTSP camera with a wash block is watched
// while the deck is empty (its key frames decoded, no demand), so the bay's source is up and
// judged, not down.
func TestWashCameraWatchesAnEmptyLane(t *testing.T) {
	mq := broker.StartMosquitto(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "bay.avi")
	if err := washscene.WriteClip(src, washscene.Script{Seconds: 4, Seed: 2}, 320, 180, 10); err != nil {
		t.Fatal(err)
	}
	url := rtspserver.Serve(t, src, 10)
	_, port := pty.Pair(t)
	yaml := fmt.Sprintf(`site: cam
gateway: gw-01
mqtt: {url: %q}
store: {dir: %q}
lanes:
  - id: exit-1
    scale: {port: %s}
    wash: {source: camera, camera: bay, poll: 200ms}
    cameras:
      - id: bay
        url: %q
        wash: {rois: [{name: bay, polygon: [[0.12, 0.35], [0.88, 0.35], [0.88, 0.95], [0.12, 0.95]]}]}
status: {interval: 1s}
`, mq.URL(), filepath.Join(dir, "data"), port, url)
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sub := broker.Subscribe(t, mq.URL(), "sitegate/v1/cam/gw-01/status")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.After(60 * time.Second)
	var last wire.Status
	for {
		select {
		case m := <-sub:
			var st wire.Status
			if json.Unmarshal(m.Payload, &st) != nil {
				continue
			}
			last = st
			if len(st.Lanes) != 1 || st.Lanes[0].Wash == nil || st.Lanes[0].Wash.Source != "camera" || st.Lanes[0].Wash.State != "empty" {
				continue
			}
			for _, c := range st.Cameras {
				if c.ID == "bay" && c.Frames >= 2 && !c.Demand && c.Capture == "on_demand" {
					return
				}
			}
		case <-deadline:
			t.Fatalf("the wash camera is not watched with the lane empty: %+v %+v", last.Lanes, last.Cameras)
		}
	}
}
