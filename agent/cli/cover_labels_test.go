package cli

import (
	"strings"
	"testing"
)

var coverLabelCases = []struct {
	name  string
	in    string
	rows  int
	alarm int
	err   string
}{
	{"generator header", "file,label,condition,view,gate,cover,load\nframes/0001.jpg,covered,day,above,g1,tarp-blue,soil\nframes/0002.jpg,heaped,rain,side,g1,,gravel\n", 2, 1, ""},
	{"every label", "a.jpg,covered\nb.jpg,open\nc.jpg,TORN\nd.jpg,heaped\ne.jpg,uncovered\n", 5, 4, ""},
	{"multi-gate paths", "file,label\ngate-03/frames/0001.jpg,open\n", 1, 1, ""},
	{"mud label", "file,label\na.jpg,muddy\n", 0, 0, "not covered, open, torn, heaped or uncovered"},
	{"escape", "../x.jpg,open\n", 0, 0, "inside the images folder"},
	{"empty", "", 0, 0, "no labelled frames"},
}

func TestParseCoverLabels(t *testing.T) {
	for _, tc := range coverLabelCases {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := parseLabelsOf(strings.NewReader(tc.in), coverLabels)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			alarm := 0
			for _, r := range rows {
				if r.Muddy {
					alarm++
				}
			}
			if len(rows) != tc.rows || alarm != tc.alarm {
				t.Fatalf("rows %+v", rows)
			}
			if tc.name == "generator header" && (rows[1].Label != "heaped" || rows[1].Extra["view"] != "side" || rows[0].Extra["cover"] != "tarp-blue") {
				t.Errorf("rows %+v", rows)
			}
		})
	}
}

func FuzzParseCoverLabels(f *testing.F) {
	for _, tc := range coverLabelCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, _, err := parseLabelsOf(strings.NewReader(in), coverLabels)
		if err != nil {
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows without an error")
		}
		for _, r := range rows {
			alarm, ok := coverLabels.read(r.Label)
			if !ok || alarm != r.Muddy || r.File == "" || strings.Contains(r.File, "..") || strings.HasPrefix(r.File, "/") {
				t.Fatalf("accepted row %+v", r)
			}
		}
	})
}
