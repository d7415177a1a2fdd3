package lane

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/models/registry"
)

func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	r, err := registry.Parse([]byte(`{"version": 3, "vehicles": [{"plate": "浙F12345", "axles": 3, "max_gross_kg": 30000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestJudge(t *testing.T) {
	reg := testRegistry(t)
	cst := time.FixedZone("CST", 8*3600)
	p := func(text string) *plate.Read { return &plate.Read{Plate: text, Color: "yellow", Confidence: 0.97} }
	cases := []struct {
		name     string
		d        draft
		alarms   []string
		overload string
		registry string
	}{
		{"overloaded registered", draft{plate: p("浙F12345"), weighed: true, stable: true, grossKg: 31200}, []string{"overload"}, "alarm", "ok"},
		{"fine", draft{plate: p("浙F12345"), weighed: true, stable: true, grossKg: 24000}, []string{}, "ok", "ok"},
		{"unregistered", draft{plate: p("苏A99999"), weighed: true, stable: true, grossKg: 20000}, []string{"registry"}, "unknown", "alarm"},
		{"no plate", draft{weighed: true, stable: true, grossKg: 20000}, []string{"no_plate"}, "unknown", "unknown"},
		{"plate only", draft{plate: p("浙F12345")}, []string{"no_weight"}, "unknown", "ok"},
		{"backed off", draft{plate: p("浙F12345"), weighed: true}, []string{"no_weight"}, "unknown", "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.d.startedAt, c.d.endedAt = t0, t0.Add(18500*time.Millisecond)
			got, _ := judge(c.d, reg, testChecks(), cst)
			if !slices.Equal(got.Alarms, c.alarms) {
				t.Errorf("alarms %v, want %v", got.Alarms, c.alarms)
			}
			if string(got.Checks.Overload.Verdict) != c.overload || string(got.Checks.Registry.Verdict) != c.registry || got.Checks.Mud.Verdict != "unknown" {
				t.Errorf("checks %+v", got.Checks)
			}
			if (got.Weight == nil) == c.d.stable || (got.Plate == nil) != (c.d.plate == nil) {
				t.Errorf("weight %v plate %v", got.Weight, got.Plate)
			}
		})
	}
}

func TestPassageJSONMatchesTheContract(t *testing.T) {
	d := draft{plate: &plate.Read{Plate: "浙F12345", Color: "yellow", Confidence: 0.97}, weighed: true, stable: true, grossKg: 31200,
		startedAt: t0, endedAt: t0.Add(18500 * time.Millisecond), evidence: []Evidence{{Name: "wheels.jpg", Camera: "wheels", JPEG: []byte("jpeg")}}}
	p, _ := judge(d, testRegistry(t), testChecks(), time.FixedZone("CST", 8*3600))
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "id", "seq", "site", "gateway", "lane", "direction", "started_at", "ended_at", "plate", "weight", "vehicle", "checks", "alarms", "evidence"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, body)
		}
	}
	if m["started_at"] != "2026-11-27T16:00:00.000+08:00" || m["ended_at"] != "2026-11-27T16:00:18.500+08:00" {
		t.Errorf("times %v %v", m["started_at"], m["ended_at"])
	}
	ov := m["checks"].(map[string]any)["overload"].(map[string]any)
	if ov["verdict"] != "alarm" || ov["limit_kg"] != 25000.0 || ov["over_kg"] != 6200.0 || ov["over_pct"] != 24.8 || ov["basis"] != "axle-table" {
		t.Errorf("overload %v", ov)
	}
	ev := m["evidence"].([]any)[0].(map[string]any)
	sum := sha256.Sum256([]byte("jpeg"))
	if ev["name"] != "wheels.jpg" || ev["camera"] != "wheels" || ev["bytes"] != 4.0 || ev["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("evidence %v", ev)
	}
	none, _ := judge(draft{weighed: true, startedAt: t0, endedAt: t0}, testRegistry(t), testChecks(), time.UTC)
	body, _ = json.Marshal(none)
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["plate"]; !ok || v != nil {
		t.Errorf("plate must be null when none was read: %s", body)
	}
	if v, ok := m["weight"]; !ok || v != nil {
		t.Errorf("weight must be null without a stable weight: %s", body)
	}
}

// An image whose bytes are another's of the same passage is listed once, its other name in
// also, and handed to the outbox once; a clip is published by its camera's policy.
func TestJudgeEvidenceOnceAndClipPolicy(t *testing.T) {
	reg := testRegistry(t)
	frame, other, clip := []byte("frame bytes"), []byte("other bytes"), []byte("clip bytes")
	ev := []Evidence{
		{Name: "wheels.jpg", Camera: "wheels", JPEG: frame},
		{Name: "wheels-mud.jpg", Camera: "wheels", JPEG: frame},
		{Name: "wheels-mud-annotated.jpg", Camera: "wheels", JPEG: other},
		{Name: "wheels-mud.jpg", Camera: "wheels", JPEG: frame},
		{Name: "wheels-clip.mp4", Camera: "wheels", JPEG: clip, Kind: "clip"},
	}
	for _, c := range []struct {
		name      string
		grossKg   float64
		upload    string
		onRequest bool
	}{
		{"alarmed, policy alarms", 31200, "", false},
		{"clean, policy alarms", 20000, "alarms", true},
		{"clean, policy all", 20000, "all", false},
		{"alarmed, policy on_request", 31200, "on_request", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := draft{plate: &plate.Read{Plate: "浙F12345"}, weighed: true, stable: true, grossKg: c.grossKg,
				evidence: slices.Clone(ev), startedAt: t0, endedAt: t0.Add(time.Second)}
			d.evidence[4].Upload = c.upload
			p, files := judge(d, reg, testChecks(), time.UTC)
			if len(files) != 3 || len(p.Evidence) != 3 {
				t.Fatalf("files %d, listed %d, want 3: %+v", len(files), len(p.Evidence), p.Evidence)
			}
			if got := p.Evidence[0]; got.Name != "wheels.jpg" || !slices.Equal(got.Also, []string{"wheels-mud.jpg"}) {
				t.Errorf("first %+v, want wheels.jpg also wheels-mud.jpg", got)
			}
			if got := p.Evidence[2]; got.Kind != "clip" || got.OnRequest != c.onRequest || files[2].Published(p.Alarms) == c.onRequest {
				t.Errorf("clip %+v (alarms %v), want on_request %v", got, p.Alarms, c.onRequest)
			}
		})
	}
}
