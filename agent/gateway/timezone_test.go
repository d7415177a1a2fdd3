package gateway

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/clock"
	"sitegate/agent/lane"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/registry"
)

// TestLaneJudgesPermitHoursInTheSiteZone: permit hours are judged in site_timezone, not in the
// gateway's system zone (UTC here), and a passage made before the clock is synchronised says so.
func TestLaneJudgesPermitHoursInTheSiteZone(t *testing.T) {
	t.Setenv("TZ", "UTC")
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`site: s1
gateway: gw-01
store: {dir: `+filepath.Join(dir, "data")+`}
lanes:
  - id: exit-1
    scale: {port: `+filepath.Join(dir, "no-such-port")+`}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SiteTimezone != "Asia/Shanghai" {
		t.Fatalf("site_timezone %q", cfg.SiteTimezone)
	}
	reg, err := registry.Parse([]byte(`{"version": 1, "vehicles": [{"plate": "浙F12345", "axles": 3,
		"permit": {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "hours": "06:00-22:00"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(false, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	stored := make(chan wire.Passage, 4)
	g, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk,
		OnStored: func(p wire.Passage) { stored <- p }})
	if err != nil {
		t.Fatal(err)
	}
	g.reg.Set(reg)
	g.box = outbox.NewMemory()
	cs := checks.Build(checks.Deps{Rules: func() config.Rules { return cfg.Rules }})
	l := newLane(g, cfg.Lanes[0], nil, cs, lane.BarrierOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()

	cst := time.FixedZone("UTC+8", 8*3600)
	cases := []struct {
		name    string
		at      time.Time
		synced  bool
		verdict models.Verdict
	}{
		{"23:30 at the site is after the permit's hours", time.Date(2026, 5, 1, 23, 30, 0, 0, cst), false, models.Alarm},
		{"07:00 at the site is within them", time.Date(2026, 5, 2, 7, 0, 0, 0, cst), true, models.OK},
	}
	for i, c := range cases {
		clk.Set(c.synced, c.at)
		// An offline resend becomes its passage at once, judged at the read's own time.
		r := plate.Read{Lane: "exit-1", Plate: "浙F12345", Confidence: 0.9, Late: true, Key: c.name, Time: c.at.UTC()}
		if err := l.Plate(r); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-stored:
			if p.Checks.Permit.Verdict != c.verdict {
				t.Errorf("%s: permit %+v, want %s", c.name, p.Checks.Permit, c.verdict)
			}
			if want := c.at.Format(wire.TimeLayout); p.StartedAt != want {
				t.Errorf("%s: started_at %s, want the site's time %s", c.name, p.StartedAt, want)
			}
			if unsynced := p.Clock == wire.ClockUnsynced; unsynced == c.synced {
				t.Errorf("%s: clock %q with the clock synchronised %v", c.name, p.Clock, c.synced)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("passage %d not stored", i)
		}
	}
	if st := g.Status(wire.Online); st.Clock == nil || st.Clock.Source != clock.SourceFake || !st.Clock.Synced {
		t.Errorf("status clock %+v", st.Clock)
	}
}
