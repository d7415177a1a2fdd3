package wash

import (
	"testing"
	"time"

	"sitegate/models"
)

func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	loc := time.FixedZone("CST", 8*3600)
	for _, c := range []struct {
		name           string
		stay           Interval
		found, offline bool
		verdict        models.Verdict
		kind           string
		dur            float64
	}{
		{"washed", Interval{t0, t0.Add(45 * time.Second)}, true, false, models.OK, KindWashed, 45},
		{"exactly the minimum", Interval{t0, t0.Add(30 * time.Second)}, true, false, models.OK, KindWashed, 30},
		{"left early", Interval{t0, t0.Add(12300 * time.Millisecond)}, true, false, models.Alarm, KindShort, 12.3},
		{"bypass", Interval{}, false, false, models.Alarm, KindBypass, -1},
		{"input down", Interval{}, false, true, models.Unknown, "", -1},
		{"input down but a wash seen", Interval{t0, t0.Add(time.Minute)}, true, true, models.OK, KindWashed, 60},
	} {
		r := Judge(c.stay, c.found, c.offline, 30*time.Second, "modbus", loc)
		if r.Verdict != c.verdict || r.Kind != c.kind || r.MinS != 30 || r.Source != "modbus" {
			t.Errorf("%s: %+v", c.name, r)
		}
		if (c.dur < 0) != (r.DurationS == nil) || (r.DurationS != nil && *r.DurationS != c.dur) {
			t.Errorf("%s: duration %v, want %v", c.name, r.DurationS, c.dur)
		}
		if r.Verdict != models.OK && r.Reason == "" {
			t.Errorf("%s: no reason", c.name)
		}
		if c.found && r.StartedAt != "2026-12-01T18:00:00+08:00" {
			t.Errorf("%s: started_at %s", c.name, r.StartedAt)
		}
	}
}
