package manifest

import (
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/trips"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/manifest"
)

func set(t *testing.T) *manifest.Set {
	t.Helper()
	s, err := manifest.Parse([]byte(`{"version":2,"manifests":[{"id":"M-1","plate":"浙F12345","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func facts(p string, start time.Time, provisional bool) *checks.Facts {
	f := &checks.Facts{StartedAt: start, EndedAt: start.Add(time.Minute), Provisional: provisional, Location: time.FixedZone("CST", 8*3600)}
	if p != "" {
		f.Plate = &plate.Read{Plate: p}
	}
	return f
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	ledger, err := trips.OpenLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := set(t)
	mode := config.ManifestsAuto
	held := s
	d := checks.Deps{Lane: "exit-1", Direction: "exit", Manifests: func() *manifest.Set { return held },
		ManifestCheck: func() string { return mode }, ManifestLedger: ledger}
	c := &check{d: d}
	t0, _ := time.Parse(time.RFC3339, "2026-12-01T10:00:00+08:00")
	judge := func(c *check, f *checks.Facts) (models.Verdict, *manifest.Result) {
		var out wire.Checks
		v := c.Judge(f, &out)
		return v, out.Manifest
	}
	// The barrier's provisional judgement does not use the manifest up.
	if v, r := judge(c, facts("浙F12345", t0, true)); v != models.OK || r == nil || r.ID != "M-1" {
		t.Fatalf("provisional: %s %+v", v, r)
	}
	if ledger.Len() != 0 {
		t.Fatalf("a provisional judgement recorded a use")
	}
	if v, r := judge(c, facts("浙F12345", t0, false)); v != models.OK || r.Kind != manifest.KindValid {
		t.Fatalf("first exit: %s %+v", v, r)
	}
	// The same visit judged again (an amendment) is not a second use.
	if v, _ := judge(c, facts("浙F12345", t0, false)); v != models.OK {
		t.Fatalf("the same visit judged again: %s", v)
	}
	// The ledger survives a restart: a second visit is refused by a new ledger on the same dir.
	again, err := trips.OpenLedger(dir)
	if err != nil || again.Len() != 1 {
		t.Fatalf("reopened ledger: %v, %d uses", err, again.Len())
	}
	c2 := &check{d: d}
	c2.d.ManifestLedger = again
	if v, r := judge(c2, facts("浙F12345", t0.Add(time.Hour), false)); v != models.Alarm || r.Kind != manifest.KindUsed {
		t.Fatalf("second visit after a restart: %s %+v", v, r)
	}
	// An entry lane is not judged; nor is any lane with the check off, or in auto with none held.
	entry := &check{d: d}
	entry.d.Direction = "entry"
	if v, r := judge(entry, facts("苏A99999", t0, false)); v != models.OK || r != nil {
		t.Errorf("entry lane: %s %+v", v, r)
	}
	mode = config.ManifestsOff
	if v, r := judge(c, facts("苏A99999", t0, false)); v != models.OK || r != nil {
		t.Errorf("off: %s %+v", v, r)
	}
	mode, held = config.ManifestsAuto, nil
	if v, r := judge(c, facts("苏A99999", t0, false)); v != models.OK || r != nil {
		t.Errorf("auto with none held: %s %+v", v, r)
	}
	mode = config.ManifestsOn
	if v, r := judge(c, facts("苏A99999", t0, false)); v != models.Unknown || r == nil || r.Reason == "" {
		t.Errorf("on with none held: %s %+v", v, r)
	}
	held = s
	if v, r := judge(c, facts("", t0, false)); v != models.Unknown || r.Reason != "no plate read" {
		t.Errorf("no plate: %s %+v", v, r)
	}
}
