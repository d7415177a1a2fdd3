package cli

import (
	"strings"
	"testing"
)

var labelCases = []struct {
	name  string
	in    string
	rows  int
	extra []string
	err   string
}{
	{"header and extras", "file,label,condition\na.jpg,clean,day\nb.jpg,muddy,night-ir\n", 2, []string{"condition"}, ""},
	{"no header", "a.jpg,clean\nb.jpg,MUDDY\n", 2, nil, ""},
	{"no header, extra column", "a.jpg,clean,rain\n", 1, []string{"col3"}, ""},
	{"blank lines", "a.jpg,clean\n\nb.jpg,muddy\n", 2, nil, ""},
	{"bad label", "file,label\na.jpg,dirty\n", 0, nil, "not clean or muddy"},
	{"one column", "a.jpg\n", 0, nil, "column"},
	{"escape", "../etc/passwd,clean\n", 0, nil, "inside the images folder"},
	{"absolute", "/etc/passwd,clean\n", 0, nil, "inside the images folder"},
	{"empty", "", 0, nil, "no labelled frames"},
	{"header only", "file,label\n", 0, nil, "no labelled frames"},
	{"bad quote", "\"a.jpg,clean\n", 0, nil, "labels"},
}

func TestParseLabels(t *testing.T) {
	for _, tc := range labelCases {
		t.Run(tc.name, func(t *testing.T) {
			rows, extra, err := parseLabels(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows || strings.Join(extra, ",") != strings.Join(tc.extra, ",") {
				t.Fatalf("rows %+v extra %v", rows, extra)
			}
			if tc.name == "header and extras" && (rows[1].Muddy != true || rows[1].Extra["condition"] != "night-ir" || rows[0].Muddy) {
				t.Errorf("rows %+v", rows)
			}
		})
	}
}

func FuzzParseLabels(f *testing.F) {
	for _, tc := range labelCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, _, err := parseLabels(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows without an error")
		}
		for _, r := range rows {
			if r.File == "" || strings.Contains(r.File, "..") || strings.HasPrefix(r.File, "/") {
				t.Fatalf("accepted file %q", r.File)
			}
		}
	})
}
