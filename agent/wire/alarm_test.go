package wire

import (
	"strings"
	"testing"
)

var reviewCases = []struct {
	name, in, err string
}{
	{"muddy", `{"schema":"sitegate.review/v1","passage_id":"0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b","check":"mud","label":"muddy","by":"officer 7"}`, ""},
	{"clean, no by", `{"schema":"sitegate.review/v1","passage_id":"abc-123","check":"mud","label":"clean"}`, ""},
	{"cover", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"uncovered","by":"x"}`, ""},
	{"cover heaped", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"heaped","by":"x"}`, ""},
	{"cover torn", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"torn"}`, ""},
	{"cover open", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"open"}`, ""},
	{"cover covered", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"covered"}`, ""},
	{"cover with a mud label", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"cover","label":"muddy"}`, "review.label"},
	{"schema", `{"schema":"sitegate.review/v2","passage_id":"abc","check":"mud","label":"clean"}`, "review.schema"},
	{"label", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"mud","label":"dirty"}`, "review.label"},
	{"check", `{"schema":"sitegate.review/v1","passage_id":"abc","check":"wash","label":"clean"}`, "review.check"},
	{"id with a slash", `{"schema":"sitegate.review/v1","passage_id":"../etc","check":"mud","label":"clean"}`, "review.passage_id"},
	{"no id", `{"schema":"sitegate.review/v1","check":"mud","label":"clean"}`, "review.passage_id"},
	{"unknown key", `{"schema":"sitegate.review/v1","passage_id":"a","check":"mud","label":"clean","x":1}`, "unknown field"},
	{"two mistakes", `{"schema":"x","passage_id":"a","check":"mud","label":"y"}`, "review.label"},
	{"trailing", `{"schema":"sitegate.review/v1","passage_id":"a","check":"mud","label":"clean"} {}`, "after the object"},
	{"not json", `muddy`, "review:"},
	{"huge", `{"by":"` + strings.Repeat("x", 5000) + `"}`, "at most"},
}

func TestParseReview(t *testing.T) {
	for _, tc := range reviewCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReview([]byte(tc.in))
			if tc.err == "" {
				if err != nil || r.Check == "" {
					t.Fatalf("ParseReview = %+v, %v", r, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want one mentioning %q", err, tc.err)
			}
		})
	}
}

func FuzzParseReview(f *testing.F) {
	for _, tc := range reviewCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReview(b)
		if err != nil {
			return
		}
		if !validID(r.PassageID) || strings.ContainsAny(r.PassageID, "/.") {
			t.Fatalf("accepted passage id %q", r.PassageID)
		}
	})
}
