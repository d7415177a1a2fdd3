package wash

import (
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/wash"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// bay is a wash bay with one stay and its frame.
type bay struct {
	stay   wash.Interval
	found  bool
	claims int
}

func (b *bay) Source() string { return "camera" }
func (b *bay) Find(from, to time.Time, visit string, claim bool) (wash.Interval, bool, bool) {
	if claim {
		b.claims++
	}
	return b.stay, b.found, false
}
func (b *bay) Frame(s wash.Interval) (string, []byte, time.Time, bool) {
	if s != b.stay {
		return "", nil, time.Time{}, false
	}
	return "bay", []byte("jpeg"), s.Start.Add(s.Duration() / 2), true
}

func judge(b *bay, provisional bool) (*wash.Result, []checks.Evidence, models.Verdict) {
	rules := config.Rules{Wash: config.WashRule{MinDuration: config.Duration(30 * time.Second)}}
	c := &check{d: checks.Deps{Lane: "exit-1", Wash: b, Rules: func() config.Rules { return rules }}}
	f := &checks.Facts{StartedAt: t0.Add(2 * time.Minute), Provisional: provisional, Location: time.UTC}
	var out wire.Checks
	v := c.Judge(f, &out)
	return out.Wash, f.Evidence(), v
}

func TestWashFrameInEvidence(t *testing.T) {
	b := &bay{stay: wash.Interval{Start: t0, End: t0.Add(40 * time.Second)}, found: true}
	r, ev, v := judge(b, false)
	if v != models.OK || r.Kind != wash.KindWashed || r.Frame != "bay-wash.jpg" {
		t.Fatalf("verdict %v, result %+v", v, r)
	}
	if len(ev) != 1 || ev[0].Name != "bay-wash.jpg" || ev[0].Camera != "bay" || !ev[0].At.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("evidence %+v", ev)
	}
	// The barrier's provisional judgement takes nothing and adds no evidence.
	b.claims = 0
	if r, ev, _ := judge(b, true); len(ev) != 0 || r.Frame != "" || b.claims != 0 {
		t.Errorf("provisional: %+v %v claims %d", r, ev, b.claims)
	}
	// A bypass has no stay and so no frame.
	b.found = false
	if r, ev, v := judge(b, false); v != models.Alarm || r.Kind != wash.KindBypass || len(ev) != 0 || r.Frame != "" {
		t.Errorf("bypass: %v %+v %v", v, r, ev)
	}
}
