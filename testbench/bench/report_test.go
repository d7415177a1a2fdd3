package bench

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	config "sitegate/firmware-config"
	"sitegate/testbench/indicatoremu"
)

// TestTraceStates: the deck's states replayed on a truck's weights go empty, occupied,
// captured, leaving, empty, as the agent's deck does with the same thresholds.
func TestTraceStates(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var ss []sample
	for i, kg := range indicatoremu.Truck(20000).Weights(100*time.Millisecond, 20) {
		ss = append(ss, sample{At: t0.Add(time.Duration(i) * 100 * time.Millisecond), Kg: kg})
	}
	tr := trace("exit-1", ss, config.Scale{OnDeckKg: 500, OffDeckKg: 200, OffDeckHold: config.Duration(time.Second),
		StableWindow: config.Duration(time.Second), StableBandKg: 40})
	var got []string
	for _, s := range tr.States {
		got = append(got, s.State)
	}
	if strings.Join(got, ",") != "empty,occupied,captured,leaving,empty" {
		t.Errorf("states %v", got)
	}
	svg := string(tr.SVG())
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") != len(tr.States) || !strings.Contains(svg, "<polyline") {
		t.Errorf("svg: %.300s", svg)
	}
}

// TestJUnitOneCasePerCheck: each check is a test case, a failure carries its detail and the
// agent's log, a skipped scenario is a skipped case.
func TestJUnitOneCasePerCheck(t *testing.T) {
	now := time.Now()
	res := &Result{Scenario: "s1", Started: now, Checks: []Check{
		{Name: "a", OK: true, Detail: "fine", At: now},
		{Name: "b", Detail: "gross_kg: want 1 got 2", At: now, Log: []logLine{{At: now, Text: "msg=passage seq=1"}}},
	}}
	skipped := &Result{Scenario: "s2", Skipped: "needs root"}
	rep := NewReport("t", now, []*Result{res, skipped})
	if rep.Passed || rep.Failures != 1 || rep.Tests != 3 {
		t.Fatalf("report %+v", rep)
	}
	dir := t.TempDir()
	if err := rep.WriteJUnit(filepath.Join(dir, "j.xml")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "j.xml"))
	var j struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Suites) != 2 || len(j.Suites[0].Cases) != 2 || j.Suites[0].Cases[0].Failure != nil {
		t.Fatalf("junit %s", b)
	}
	f := j.Suites[0].Cases[1].Failure
	if f == nil || f.Message != "gross_kg: want 1 got 2" || !strings.Contains(f.Text, "msg=passage seq=1") {
		t.Errorf("failure %+v", f)
	}
	if j.Suites[1].Cases[0].Skipped == nil {
		t.Error("the skipped scenario is not a skipped case")
	}
	if err := rep.WriteHTML(filepath.Join(dir, "r.html")); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "r.html"))
	for _, s := range []string{"1 of 3 checks failed", "needs root", "msg=passage seq=1"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("html has no %q", s)
		}
	}
}
