package lane

import (
	"slices"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/models"
	"sitegate/models/registry"
)

func TestJudgePermit(t *testing.T) {
	reg, err := registry.Parse([]byte(`{"version": 1, "vehicles": [
		{"plate": "浙F12345", "axles": 3, "permit": {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "hours": "06:00-22:00"}},
		{"plate": "浙F66666", "axles": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	cases := []struct {
		name    string
		plate   string
		at      time.Time
		verdict models.Verdict
		alarms  []string
	}{
		{"within permit", "浙F12345", time.Date(2026, 5, 1, 12, 0, 0, 0, cst), models.OK, []string{}},
		{"at night", "浙F12345", time.Date(2026, 5, 1, 23, 0, 0, 0, cst), models.Alarm, []string{"permit"}},
		{"expired", "浙F12345", time.Date(2027, 1, 2, 12, 0, 0, 0, cst), models.Alarm, []string{"permit"}},
		// The time is judged in the site's zone: 15:00 UTC is 23:00 in CST.
		{"zone", "浙F12345", time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC), models.Alarm, []string{"permit"}},
		{"no permit on record", "浙F66666", time.Date(2026, 5, 1, 3, 0, 0, 0, cst), models.OK, []string{}},
		{"unregistered", "苏A99999", time.Date(2026, 5, 1, 12, 0, 0, 0, cst), models.Unknown, []string{"registry"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := draft{plate: &plate.Read{Plate: c.plate}, weighed: true, stable: true, grossKg: 20000,
				startedAt: c.at, endedAt: c.at.Add(10 * time.Second)}
			got, _ := judge(d, reg, testChecks(), cst)
			if got.Checks.Permit.Verdict != c.verdict || !slices.Equal(got.Alarms, c.alarms) {
				t.Fatalf("permit %+v alarms %v", got.Checks.Permit, got.Alarms)
			}
			if c.verdict == models.Alarm && got.Checks.Permit.Reason == "" {
				t.Fatal("an alarm without a reason")
			}
		})
	}
}
