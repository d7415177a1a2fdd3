package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/platecam"
	"sitegate/testbench/washscene"
)

// TestWashCameraCheck: the lane sees its wash bay through a camera (a generated clip, looped:
// a truck standing 8 s, one standing 2.5 s, a person walking through). The truck that stood
// long enough is ok with its duration near the truth and the bay's frame in its evidence; the
// next, with no stay of its own, bypassed; the one after left early.
func TestWashCameraCheck(t *testing.T) {
	if testing.Short() || !withCV {
		t.Skip("end-to-end, with OpenCV")
	}
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: a camera played in real time")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	sc := washscene.Script{Seconds: 30, Seed: 21,
		Trucks: []washscene.Truck{{Enter: 2, DriveS: 1, StandS: 8, Tone: 190}, {Enter: 17, DriveS: 1, StandS: 2.5, Tone: 60}},
		People: []washscene.Person{{At: 24, Dur: 4}}}
	truth := sc.Truth()
	if len(truth) != 2 {
		t.Fatalf("truth %v", truth)
	}
	if err := washscene.WriteClip(filepath.Join(s.dir, "bay.avi"), sc, 320, 180, 10); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(s.config)
	var poly []string
	for _, p := range washscene.Bay {
		poly = append(poly, fmt.Sprintf("[%g, %g]", p[0], p[1]))
	}
	text := strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1)
	text = strings.Replace(text, "    plate: {listen:", "    wash: {source: camera, camera: bay, poll: 200ms}\n    plate: {listen:", 1)
	text = strings.Replace(text, "    cameras:\n", "    cameras:\n      - id: bay\n        url: bay.avi\n        wash: {rois: [{name: bay, polygon: ["+strings.Join(poly, ", ")+"]}], min_on: 1s, min_off: 1s}\n", 1)
	text += "rules: {wash: {min_duration: 5s}}\nstatus: {interval: 1s}\n"
	if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	bay := func(m broker.Msg) *wire.WashBayStatus {
		if !strings.HasSuffix(m.Topic, "/status") {
			return nil
		}
		var st wire.Status
		if json.Unmarshal(m.Payload, &st) != nil || len(st.Lanes) == 0 {
			return nil
		}
		return st.Lanes[0].Wash
	}
	// waitStay waits for a stay to end whose length says which truck it was.
	waitStay := func(what string, long bool) int {
		var n int
		await(t, msgs, 90*time.Second, what, func(m broker.Msg) bool {
			w := bay(m)
			if w == nil || w.Source != "camera" || w.Stays == 0 || w.State != "empty" || (w.LastStayS >= 5) != long {
				return false
			}
			n = w.Stays
			return true
		})
		return n
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
	// The first (8 s) truck's stay has just ended: its exit is washed.
	waitStay("the 8 s truck's stay", true)
	washed := exit("浙F12345")
	want := truth[0].End - truth[0].Start
	if w := washed.Checks.Wash; w.Verdict != "ok" || w.Kind != "washed" || w.DurationS == nil || *w.DurationS < want-2 || *w.DurationS > want+2 ||
		w.Source != "camera" || w.Frame != "bay-wash.jpg" || slices.Contains(washed.Alarms, "wash") {
		t.Errorf("washed truck (truth %.1f s): %+v, alarms %v", want, w, washed.Alarms)
	} else {
		t.Logf("washed truck: %.1f s, truth %.1f s", *w.DurationS, want)
	}
	if !slices.ContainsFunc(washed.Evidence, func(e wire.EvidenceInfo) bool {
		return e.Name == "bay-wash.jpg" || slices.Contains(e.Also, "bay-wash.jpg")
	}) {
		t.Errorf("the washed truck's evidence has no wash-bay frame: %+v", washed.Evidence)
	}
	// The next truck, before the short stay ended, has no stay of its own.
	if bypass := exit("浙F12346"); bypass.Checks.Wash.Verdict != "alarm" || bypass.Checks.Wash.Kind != "bypass" || !slices.Contains(bypass.Alarms, "wash") {
		t.Errorf("truck that bypassed the bay: %+v, alarms %v", bypass.Checks.Wash, bypass.Alarms)
	}
	waitStay("the 2.5 s truck's stay", false)
	if short := exit("浙F12347"); short.Checks.Wash.Verdict != "alarm" || short.Checks.Wash.Kind != "short" || !slices.Contains(short.Alarms, "wash") {
		t.Errorf("truck that left early: %+v, alarms %v", short.Checks.Wash, short.Alarms)
	}
}
