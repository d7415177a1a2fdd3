package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/drivers/modbus"
	"sitegate/testbench/broker"
	"sitegate/testbench/modbusemu"
	"sitegate/testbench/platecam"
)

// TestWashCheck: the lane reads an emulated wash controller over Modbus TCP. A truck that stood
// in the bay long enough is ok with its duration, one that left early and one that bypassed the
// bay (the earlier truck's wash is not its own) are alarms of their kind.
func TestWashCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	dev, err := modbusemu.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	cfg, _ := os.ReadFile(s.config)
	text := strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1)
	text = strings.Replace(text, "    plate: {listen:", fmt.Sprintf("    wash: {source: modbus, poll: 100ms, modbus: {address: %q, unit: 1, table: discrete, index: 4}}\n    plate: {listen:", dev.Addr()), 1)
	text += "rules: {wash: {min_duration: 2s}}\n"
	if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	// The lane reads the controller: its status says so.
	await(t, msgs, 30*time.Second, "a status with the wash bay", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && strings.Contains(string(m.Payload), `"wash":{"source":"modbus","state":"empty"`)
	})
	washFor := func(d time.Duration) {
		dev.Set(modbus.DiscreteInputs, 4, true)
		time.Sleep(d)
		dev.Set(modbus.DiscreteInputs, 4, false)
		time.Sleep(500 * time.Millisecond) // a few polls: the stay is closed
	}
	exit := func(plate string) lane.Passage {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: plate, Color: "yellow", Confidence: 0.97}); err != nil {
			t.Fatal(err)
		}
		m := await(t, msgs, 30*time.Second, "the passage of "+plate, func(m broker.Msg) bool {
			var p lane.Passage
			return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil && p.Plate.Text == plate
		})
		checkPayload(t, m.Topic, m.Payload)
		var p lane.Passage
		json.Unmarshal(m.Payload, &p)
		if p.Checks.Wash == nil {
			t.Fatalf("passage of %s has no wash check: %s", plate, m.Payload)
		}
		return p
	}
	washFor(3 * time.Second)
	washed := exit("浙F12345")
	if w := washed.Checks.Wash; w.Verdict != "ok" || w.Kind != "washed" || w.DurationS == nil || *w.DurationS < 2.5 || *w.DurationS > 4 || w.MinS != 2 || w.Source != "modbus" || slices.Contains(washed.Alarms, "wash") {
		t.Errorf("washed truck: %+v, alarms %v", w, washed.Alarms)
	}
	washFor(500 * time.Millisecond)
	short := exit("浙F12346")
	if w := short.Checks.Wash; w.Verdict != "alarm" || w.Kind != "short" || !slices.Contains(short.Alarms, "wash") {
		t.Errorf("truck that left early: %+v, alarms %v", w, short.Alarms)
	}
	bypass := exit("浙F12347")
	if w := bypass.Checks.Wash; w.Verdict != "alarm" || w.Kind != "bypass" || w.DurationS != nil || !slices.Contains(bypass.Alarms, "wash") {
		t.Errorf("truck that bypassed the bay: %+v, alarms %v", w, bypass.Alarms)
	}
}
