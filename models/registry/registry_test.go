package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/models"
)

const contractExample = `{"version": 7, "vehicles": [
  {"plate": "浙F12345", "axles": 3, "max_gross_kg": 25000, "rated_load_kg": 14000,
   "permit": {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "hours": "06:00-22:00"}}]}`

func TestParseContractExample(t *testing.T) {
	r, err := Parse([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 7 || r.Len() != 1 {
		t.Fatalf("version %d len %d", r.Version, r.Len())
	}
	v, ok := r.Lookup("浙f 12345")
	if !ok || v.Axles != 3 || v.MaxGrossKg != 25000 || v.Permit.Hours != "06:00-22:00" {
		t.Fatalf("lookup by another spelling: %+v %v", v, ok)
	}
}

func TestParseYAML(t *testing.T) {
	r, err := Parse([]byte("version: 2\nvehicles:\n  - {plate: 苏A8888D, axles: 6}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("苏A8888D"); !ok || r.Version != 2 {
		t.Fatal("vehicle missing")
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		`{"version": 1, "vehicles": [{"plate": "浙F12345", "colour": "red"}]}`:                                                  "unknown field",
		`{"version": 1, "vehicles": [{"plate": "hello"}]}`:                                                                     "vehicles[0].plate:",
		`{"version": 1, "vehicles": [{"plate": "浙F12345"}, {"plate": "浙F12345"}]}`:                                             "vehicles[1].plate: 浙F12345 is listed twice",
		`{"version": 1, "vehicles": [{"plate": "浙F12345", "axles": 1}]}`:                                                       "vehicles[0].axles:",
		`{"version": 1, "vehicles": [{"plate": "浙F12345", "permit": {"hours": "6-22"}}]}`:                                      "vehicles[0].permit.hours:",
		`{"version": 1, "vehicles": [{"plate": "浙F12345", "permit": {"valid_from": "2026-13-01"}}]}`:                           "vehicles[0].permit.valid_from:",
		`{"version": 1, "vehicles": [{"plate": "浙F12345", "permit": {"valid_from": "2026-05-01", "valid_to": "2026-04-01"}}]}`: "valid_to: 2026-04-01 is before",
		`{"version": 1} {}`:  "data after the document",
		"version: 1\nfoo: 2": "not found",
		`{"version": -1}`:    "version:",
	}
	for in, want := range cases {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestCheck(t *testing.T) {
	r, err := Parse([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	if res, v, ok := r.Check("浙F12345", true); res.Verdict != models.OK || !ok || v.Axles != 3 {
		t.Errorf("registered: %+v %+v %v", res, v, ok)
	}
	if res, _, ok := r.Check("浙F99999", true); res.Verdict != models.Alarm || ok {
		t.Errorf("unregistered: %+v", res)
	}
	if res, _, _ := r.Check("", false); res.Verdict != models.Unknown || res.Reason == "" {
		t.Errorf("no plate: %+v", res)
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.json")
	if err := os.WriteFile(path, []byte(contractExample), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := Load(path); err != nil || r.Len() != 1 {
		t.Fatalf("%v %v", r, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing file loaded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(contractExample))
	f.Add([]byte("version: 2\nvehicles:\n  - {plate: 苏A8888D, axles: 6}\n"))
	f.Add([]byte(`{"version": 1, "vehicles": [{"plate": "浙F12345", "permit": {"hours": "6-22"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if (r == nil) == (err == nil) {
			t.Fatalf("exactly one of registry and error: %v %v", r, err)
		}
		if r == nil {
			return
		}
		for p, v := range r.byPlate {
			if got, ok := r.Lookup(p); !ok || got.Plate != v.Plate {
				t.Fatalf("stored plate %q does not look itself up", p)
			}
		}
	})
}

func TestNilRegistryIsUnknown(t *testing.T) {
	var r *Registry
	if res, _, ok := r.Check("浙F12345", true); res.Verdict != models.Unknown || ok {
		t.Fatalf("got %+v", res)
	}
}

func TestCheckPermit(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	full := &Permit{ValidFrom: "2026-01-01", ValidTo: "2026-12-31", Hours: "06:00-22:00"}
	night := &Permit{Hours: "22:00-06:00"}
	cases := []struct {
		name   string
		permit *Permit
		at     string
		want   models.Verdict
		reason string
	}{
		{"no permit", nil, "2026-05-01 03:00", models.OK, "no permit"},
		{"inside", full, "2026-05-01 12:00", models.OK, ""},
		{"first day", full, "2026-01-01 06:00", models.OK, ""},
		{"last day", full, "2026-12-31 21:59", models.OK, ""},
		{"before valid_from", full, "2025-12-31 12:00", models.Alarm, "not valid until 2026-01-01"},
		{"after valid_to", full, "2027-01-01 12:00", models.Alarm, "expired on 2026-12-31"},
		{"before hours", full, "2026-05-01 05:59", models.Alarm, "outside permit hours"},
		{"end of hours excluded", full, "2026-05-01 22:00", models.Alarm, "outside permit hours"},
		{"night inside late", night, "2026-05-01 23:30", models.OK, ""},
		{"night inside early", night, "2026-05-01 05:00", models.OK, ""},
		{"night outside", night, "2026-05-01 12:00", models.Alarm, "outside permit hours"},
		{"dates only", &Permit{ValidTo: "2026-06-30"}, "2026-07-01 00:00", models.Alarm, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := CheckPermit(Vehicle{Plate: "浙F12345", Permit: c.permit}, at(c.at))
			if r.Verdict != c.want || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("got %+v, want %s (%q)", r, c.want, c.reason)
			}
		})
	}
}
