package lane

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/drivers/plate"
	"sitegate/models/registry"
)

// TestClipUploadPolicy: a clip goes with an alarmed passage under "alarms", with every passage
// under "all", never under "on_request", and is taken (so the next passage starts afresh) in
// each case; an on-demand camera is told of the truck and gives its frame at the end when it
// had none at arrival.
func TestClipUploadPolicy(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		policy string
		alarm  bool
		sent   bool
	}{
		{"alarms", true, true}, {"alarms", false, false}, {"all", false, true}, {"on_request", true, false},
	} {
		var demand []bool
		taken := 0
		cam := Camera{ID: "wheels",
			Snapshot:   func() ([]byte, time.Time, error) { return []byte("jpeg"), at, nil },
			Demand:     func(on bool) { demand = append(demand, on) },
			MarkClip:   func(time.Time) {},
			Clip:       func() ([]byte, time.Time, error) { taken++; return []byte("mp4"), at.Add(-5 * time.Second), nil },
			ClipUpload: c.policy}
		l := &Lane{o: Options{Cameras: []Camera{cam}, Location: time.UTC}, log: slog.New(slog.DiscardHandler)}
		l.setActive(true)
		d := draft{startedAt: at, endedAt: at, weighed: true, stable: !c.alarm, grossKg: 20000, plate: &plate.Read{Plate: "浙F12345"}}
		l.fillSnapshots(&d)
		p, ev := judge(d, registry.Empty(), nil, time.UTC)
		ev = l.clips(d, &p, ev)
		if taken != 1 || len(demand) != 1 || !demand[0] {
			t.Errorf("%s: clip taken %d times, demand %v", c.policy, taken, demand)
		}
		// The clip is always kept (archived); the policy says whether it is published.
		var clip *Evidence
		for i := range ev {
			if ev[i].Kind == checks.EvidenceClip {
				clip = &ev[i]
			}
		}
		if clip == nil {
			t.Fatalf("%s: no clip kept", c.policy)
		}
		if sent := clip.Published(p.Alarms); sent != c.sent {
			t.Fatalf("%s, alarms %v: clip sent %v, want %v", c.policy, p.Alarms, sent, c.sent)
		}
		if info := p.Evidence[len(p.Evidence)-1]; clip.Name != "wheels-clip.mp4" || info.Name != "wheels-clip.mp4" || info.OnRequest == c.sent {
			t.Errorf("clip listed as %+v / %+v", clip, p.Evidence)
		}
		if len(ev) < 1 || ev[0].Name != "wheels.jpg" {
			t.Errorf("%s: the frame missing at arrival was not taken at the end: %+v", c.policy, ev)
		}
	}
	// A camera without a clip gives none, and an error is no evidence.
	l := &Lane{o: Options{Cameras: []Camera{{ID: "w", Clip: func() ([]byte, time.Time, error) { return nil, time.Time{}, errors.New("no") }}},
		Location: time.UTC}, log: slog.New(slog.DiscardHandler)}
	p, ev := judge(draft{startedAt: at, endedAt: at}, registry.Empty(), nil, time.UTC)
	if ev = l.clips(draft{}, &p, ev); len(ev) != 0 {
		t.Errorf("evidence from a failed clip: %+v", ev)
	}
}
