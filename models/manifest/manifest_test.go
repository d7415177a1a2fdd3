package manifest

import (
	"strings"
	"testing"
	"time"

	"sitegate/models"
)

const doc = `{"version":3,"manifests":[
 {"id":"M-1","plate":"浙F12345","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00","origin":"site A","destination":"消纳场 B","permit_no":"P-9"},
 {"id":"M-2","plate":"浙F12345","valid_from":"2026-12-02T06:00:00+08:00","valid_to":"2026-12-02T22:00:00+08:00","destination":"消纳场 B"},
 {"id":"M-3","plate":"苏A99999","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T08:00:00+08:00"}
]}`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func noUse(string) (Use, bool) { return Use{}, false }

func TestJudge(t *testing.T) {
	s, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 3 || s.Len() != 3 || !s.Has("M-2") || s.Has("M-9") {
		t.Fatalf("set: version %d, %d manifests", s.Version, s.Len())
	}
	used := func(id string) (Use, bool) {
		if id == "M-1" {
			return Use{Visit: "exit-1@1", At: at("2026-12-01T09:00:00+08:00")}, true
		}
		return Use{}, false
	}
	for _, c := range []struct {
		name, plate, at, visit string
		used                   func(string) (Use, bool)
		verdict                models.Verdict
		kind, id               string
	}{
		{"valid", "浙F12345", "2026-12-01T10:00:00+08:00", "v", noUse, models.OK, KindValid, "M-1"},
		{"valid in another offset", "浙F12345", "2026-12-01T03:00:00Z", "v", noUse, models.OK, KindValid, "M-1"},
		{"the next day's", "浙F12345", "2026-12-02T10:00:00+08:00", "v", noUse, models.OK, KindValid, "M-2"},
		{"before any", "浙F12345", "2026-12-01T05:00:00+08:00", "v", noUse, models.Alarm, KindNotYetValid, "M-1"},
		{"between two", "浙F12345", "2026-12-01T23:00:00+08:00", "v", noUse, models.Alarm, KindNotYetValid, "M-2"},
		{"after all", "浙F12345", "2026-12-03T10:00:00+08:00", "v", noUse, models.Alarm, KindExpired, "M-2"},
		{"end excluded", "苏A99999", "2026-12-01T08:00:00+08:00", "v", noUse, models.Alarm, KindExpired, "M-3"},
		{"used by another visit", "浙F12345", "2026-12-01T10:00:00+08:00", "exit-1@2", used, models.Alarm, KindUsed, "M-1"},
		{"the same visit judged again", "浙F12345", "2026-12-01T10:00:00+08:00", "exit-1@1", used, models.OK, KindValid, "M-1"},
		{"no manifest", "京A00001", "2026-12-01T10:00:00+08:00", "v", noUse, models.Alarm, KindNone, ""},
		{"one character away", "浙F12346", "2026-12-01T10:00:00+08:00", "v", noUse, models.Alarm, KindPlateMismatch, "M-1"},
		{"spelled with a separator", "浙F·12345", "2026-12-01T10:00:00+08:00", "v", noUse, models.OK, KindValid, "M-1"},
		{"no plate", "", "2026-12-01T10:00:00+08:00", "v", noUse, models.Unknown, "", ""},
	} {
		r, _ := s.Judge(c.plate, at(c.at), c.visit, c.used)
		if r.Verdict != c.verdict || r.Kind != c.kind || r.ID != c.id {
			t.Errorf("%s: got %+v, want %s %s %s", c.name, r, c.verdict, c.kind, c.id)
		}
		if r.Verdict == models.Alarm && r.Reason == "" {
			t.Errorf("%s: an alarm without a reason", c.name)
		}
	}
	r, m := s.Judge("浙F12345", at("2026-12-01T10:00:00+08:00"), "v", noUse)
	if m == nil || r.Destination != "消纳场 B" || r.PermitNo != "P-9" || r.Origin != "site A" || r.Version != 3 {
		t.Errorf("valid result %+v", r)
	}
	var nilSet *Set
	if r, _ := nilSet.Judge("浙F12345", at("2026-12-01T10:00:00+08:00"), "v", noUse); r.Verdict != models.Unknown {
		t.Errorf("no set: %+v", r)
	}
}

func TestParseErrorsNamePaths(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"version":1,"manifests":[{"id":"a","plate":"浙F12345","valid_from":"x","valid_to":"2026-12-01T22:00:00+08:00"}]}`, "manifests[0].valid_from"},
		{`{"version":1,"manifests":[{"id":"a","plate":"浙F12345","valid_from":"2026-12-01T06:00:00","valid_to":"2026-12-01T22:00:00+08:00"}]}`, "manifests[0].valid_from"},
		{`{"version":1,"manifests":[{"id":"a","plate":"浙F12345","valid_from":"2026-12-01T22:00:00+08:00","valid_to":"2026-12-01T06:00:00+08:00"}]}`, "manifests[0].valid_to"},
		{`{"version":1,"manifests":[{"id":"a","plate":"nope","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00"}]}`, "manifests[0].plate"},
		{`{"version":1,"manifests":[{"id":"","plate":"浙F12345","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00"}]}`, "manifests[0].id"},
		{`{"version":1,"manifests":[{"id":"a","plate":"浙F12345","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00"},{"id":"a","plate":"浙F12346","valid_from":"2026-12-01T06:00:00+08:00","valid_to":"2026-12-01T22:00:00+08:00"}]}`, "manifests[1].id"},
		{`{"version":-1,"manifests":[]}`, "version"},
		{`{"version":1,"manifests":[],"extra":1}`, "unknown field"},
		{`{"version":1} {}`, "data after"},
		{"version: 1\nmanifest: []\n", "not found"},
	} {
		_, err := Parse([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to name %q", c.doc, err, c.want)
		}
	}
	if s, err := Parse([]byte("version: 2\nmanifests:\n  - {id: Y-1, plate: 苏A99999, valid_from: '2026-12-01T06:00:00+08:00', valid_to: '2026-12-01T22:00:00+08:00'}\n")); err != nil || s.Len() != 1 {
		t.Errorf("YAML document: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(doc))
	f.Add([]byte(`{"version":1,"manifests":[]}`))
	f.Add([]byte("version: 1\nmanifests: []\n"))
	f.Add([]byte(`{"version":1,"manifests":[{"id":"a","plate":"浙F12345","valid_from":"x","valid_to":"y"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		// A set that parsed judges any plate at any time without panicking, and a valid verdict
		// names a manifest of the set.
		for p := range s.byPlate {
			r, m := s.Judge(p, time.Unix(1764540000, 0), "v", noUse)
			if r.Verdict == models.OK && (m == nil || !s.Has(r.ID)) {
				t.Fatalf("ok without a manifest of the set: %+v", r)
			}
		}
	})
}
