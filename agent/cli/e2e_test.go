package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/cli"
	"sitegate/agent/lane"
	"sitegate/agent/wire"
	"sitegate/drivers/indicator/yaohua"
	"sitegate/testbench/broker"
	"sitegate/testbench/clip"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/platecam"
	"sitegate/testbench/pty"
)

// site is one emulated site exit: an indicator on a pty, a plate camera, a clip, and a config.
type site struct {
	dir, config, plateAddr string
	master                 *os.File
	emu                    *indicatoremu.Emulator
	emuMu                  sync.Mutex // guards raw writes to master against the emulator
}

const e2eRegistry = `{"version": 4, "vehicles": [{"plate": "浙F12345", "axles": 3, "max_gross_kg": 30000}]}`

func newSite(t testing.TB, brokerURL string) *site {
	t.Helper()
	dir := t.TempDir()
	master, port := pty.Pair(t)
	cameras := "    cameras:\n      - id: wheels\n        url: wheels.avi\n"
	if !withCV {
		cameras = "" // a weighbridge-only gate
	} else if err := clip.Generate(filepath.Join(dir, "wheels.avi"), clip.Options{Width: 640, Height: 360, FPS: 10, Seconds: 2}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.json"), []byte(e2eRegistry), 0o644); err != nil {
		t.Fatal(err)
	}
	plateAddr := freeAddr(t)
	cfg := fmt.Sprintf(`site: e2e-site
gateway: gw-07
mqtt: {url: %q}
store: {dir: data}
registry: {file: registry.json}
log: {level: debug}
lanes:
%s%s`, brokerURL, exitLane(port, plateAddr), cameras)
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &site{dir: dir, config: path, plateAddr: plateAddr, master: master}
}

// exitLane is the emulated site's exit lane up to its plate listener: the indicator on port
// (yaohua tF=0) and the plate pushes on plateAddr.
func exitLane(port, plateAddr string) string {
	return fmt.Sprintf(`  - id: exit-1
    plate_window: 30s
    plate_only_timeout: 60s
    scale:
      port: %s
      protocol: yaohua-tf0
      on_deck_kg: 500
      off_deck_kg: 200
      off_deck_hold: 1s
      stable_window: 1500ms
      stable_band_kg: 40
    plate: {listen: %q}
`, port, plateAddr)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	p, err := broker.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}

// runAgent runs `sitegate run --config` in-process until the test ends.
func runAgent(t testing.TB, s *site) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs syncBuffer
	go func() { done <- cli.Run(ctx, []string{"run", "--config", s.config}, &logs, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("sitegate run exited %d; log:\n%s", code, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("sitegate run did not stop within 30 s of SIGTERM; log:\n%s", logs.String())
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await returns the next message on a topic ending in suffix, failing after the deadline.
func await(t *testing.T, msgs <-chan broker.Msg, within time.Duration, what string, match func(broker.Msg) bool) broker.Msg {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-msgs:
			if match(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, within)
		}
	}
}

func isPassage(m broker.Msg) bool { return strings.HasSuffix(m.Topic, "/passage") }

// truckCrossing plays the acceptance scenario: tF=0 frames ramping to 31200 kg, holding, then
// leaving, with garbage between frames and wrong-XOR frames carrying an absurd weight, plus the
// plate push; it returns every message seen up to and including the passage.
func truckCrossing(t *testing.T, s *site, msgs <-chan broker.Msg) (lane.Passage, []broker.Msg) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{GarbageEvery: 3, Seed: 1})
	go emu.Run(ctx)
	// Every 150 ms a frame of 60000 kg with a wrong XOR: never a weight, so never stable and
	// never the peak.
	go func() {
		bad := yaohua.EncodeTF0(60000, 0)
		bad[len(bad)-2] ^= 0x01
		for ctx.Err() == nil {
			s.emuMu.Lock()
			s.master.Write(bad)
			s.emuMu.Unlock()
			time.Sleep(150 * time.Millisecond)
		}
	}()
	pushPlate(t, s, "浙F12345")
	if err := emu.Play(ctx, indicatoremu.Truck(31200)); err != nil {
		t.Fatal(err)
	}
	var seen []broker.Msg
	m := await(t, msgs, 90*time.Second, "passage", func(m broker.Msg) bool { seen = append(seen, m); return isPassage(m) })
	var p lane.Passage
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("passage is not JSON: %v\n%s", err, m.Payload)
	}
	return p, seen
}

// pushPlate pushes a plate read, retrying while the agent's listener is still coming up.
func pushPlate(t *testing.T, s *site, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		err := platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: text, Color: "yellow", Confidence: 0.97})
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "connection refused") || ctx.Err() != nil {
			t.Fatalf("plate push: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct{ s *site }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.s.emuMu.Lock()
	defer w.s.emuMu.Unlock()
	return w.s.master.Write(b)
}

func checkOverloadPassage(t *testing.T, p lane.Passage, seen []broker.Msg) {
	t.Helper()
	if p.Schema != "sitegate.passage/v1" || p.Site != "e2e-site" || p.Gateway != "gw-07" || p.Lane != "exit-1" || p.Seq != 1 || p.ID == "" {
		t.Errorf("identity: %+v", p)
	}
	if p.Plate == nil || p.Plate.Text != "浙F12345" {
		t.Errorf("plate %+v", p.Plate)
	}
	if p.Weight == nil || p.Weight.GrossKg != 31200 || !p.Weight.Stable || p.Weight.PeakKg >= 60000 {
		t.Errorf("weight %+v (a wrong-XOR frame must never be a weight)", p.Weight)
	}
	ov := p.Checks.Overload
	if ov.Verdict != "alarm" || ov.LimitKg != 25000 || ov.OverKg == nil || *ov.OverKg != 6200 || *ov.OverPct != 24.8 || ov.Basis != "axle-table" {
		t.Errorf("overload %+v", ov)
	}
	if p.Checks.Registry.Verdict != "ok" || p.Checks.Mud.Verdict != "unknown" {
		t.Errorf("checks %+v", p.Checks)
	}
	if strings.Join(p.Alarms, ",") != "overload" {
		t.Errorf("alarms %v", p.Alarms)
	}
	if !withCV {
		return // no camera, no evidence
	}
	var wheels *wire.EvidenceInfo
	for i := range p.Evidence {
		if p.Evidence[i].Name == "wheels.jpg" {
			wheels = &p.Evidence[i]
		}
	}
	if wheels == nil {
		t.Fatalf("no wheels.jpg evidence in %+v", p.Evidence)
	}
	topic := "sitegate/v1/e2e-site/gw-07/evidence/" + p.ID + "/wheels.jpg"
	var img []byte
	for _, m := range seen {
		if m.Topic == topic {
			img = m.Payload
		}
	}
	if img == nil {
		t.Fatalf("evidence %s was not published before the passage", topic)
	}
	if len(img) != wheels.Bytes {
		t.Errorf("evidence is %d bytes, passage says %d", len(img), wheels.Bytes)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != 640 || cfg.Height != 360 {
		t.Errorf("evidence does not decode as the camera's 640x360 frame: %v %+v", err, cfg)
	}
}

func TestEndToEndMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && bytes.Contains(m.Payload, []byte(`"state":"online"`))
	})
	p, seen := truckCrossing(t, s, msgs)
	checkOverloadPassage(t, p, seen)
	// Exactly one passage: nothing else follows within the off-deck hold and a margin.
	select {
	case m := <-msgs:
		if isPassage(m) {
			t.Fatalf("a second passage: %s", m.Payload)
		}
	case <-time.After(3 * time.Second):
	}
}

func TestEndToEndMochi(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMochi(t)
	s := newSite(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	p, seen := truckCrossing(t, s, msgs)
	checkOverloadPassage(t, p, seen)
}
