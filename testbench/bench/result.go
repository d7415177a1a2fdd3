package bench

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"sitegate/agent/wire"
	"sitegate/drivers/indicator"
	config "sitegate/firmware-config"
	"sitegate/models/deck"
)

// Result is what one scenario's run found.
type Result struct {
	Scenario    string          `json:"scenario"`
	File        string          `json:"file"`
	Description string          `json:"description,omitempty"`
	Skipped     string          `json:"skipped,omitempty"`
	Started     time.Time       `json:"started"`
	Wall        Duration        `json:"wall"`
	Checks      []Check         `json:"checks"`
	Events      []Event         `json:"events"`
	Passages    []Seen          `json:"passages"`
	Decisions   []wire.Decision `json:"decisions"`
	Drops       []wire.Drops    `json:"drops"`
	Traces      []Trace         `json:"traces"`
	Previews    []Preview       `json:"previews,omitempty"`
	Log         []logLine       `json:"-"`
}

// Preview is a camera's live frame with its regions drawn, as commissioning writes it.
type Preview struct {
	Name string `json:"name"`
	File string `json:"file"`
	JPEG []byte `json:"-"`
}

// URI is the preview as a data: URI.
func (p Preview) URI() template.URL {
	return template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(p.JPEG))
}

// Check is one expectation and how it came out: one JUnit test case.
type Check struct {
	Name   string    `json:"name"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
	// Log is the agent's log around the moment the check failed.
	Log []logLine `json:"log,omitempty"`
}

// Event is a timeline step as played.
type Event struct {
	At   time.Time `json:"at"`
	Step int       `json:"step"`
	What string    `json:"what"`
}

// Seen is one passage as the platform received it, with its first arrival and its evidence.
type Seen struct {
	Passage    wire.Passage      `json:"passage"`
	Arrived    time.Time         `json:"arrived"`
	Deliveries int               `json:"deliveries"`
	LatencyMs  float64           `json:"latency_ms"`
	Evidence   map[string][]byte `json:"-"`
}

// Trace is a lane's weight as the emulated indicator sent it, and the deck's states over it
// (the agent's deck model replayed on the same readings).
type Trace struct {
	Lane    string      `json:"lane"`
	Samples []sample    `json:"samples"`
	States  []StateSpan `json:"states"`
}

// StateSpan is a stretch of time in one deck state.
type StateSpan struct {
	State    string    `json:"state"`
	From, To time.Time `json:"-"`
	FromS    float64   `json:"from_s"`
	ToS      float64   `json:"to_s"`
}

// Passed reports whether every check passed (a skipped scenario passes).
func (r *Result) Passed() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func newResult(s *Scenario) *Result {
	return &Result{Scenario: s.Name, File: s.File, Description: s.Description}
}

func (r *Result) pass(name, detail string, at time.Time) {
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: detail, At: at})
}

func (r *Result) fail(name, detail string, at time.Time) {
	r.Checks = append(r.Checks, Check{Name: name, Detail: detail, At: at})
}

func (r *Result) check(name string, ok bool, detail string) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: detail, At: time.Now()})
}

func trace(lane string, ss []sample, sc config.Scale) Trace {
	t := Trace{Lane: lane, Samples: ss}
	if len(ss) == 0 {
		return t
	}
	d := deck.New(deck.Params{OnKg: sc.OnDeckKg, OffKg: sc.OffDeckKg, OffHold: time.Duration(sc.OffDeckHold),
		StableWindow: time.Duration(sc.StableWindow), StableBandKg: sc.StableBandKg})
	t0 := ss[0].At
	cur := StateSpan{State: deck.Empty.String(), From: t0}
	for _, s := range ss {
		if s.Kg >= 0 {
			d.Update(indicator.Reading{Time: s.At, Kg: s.Kg})
		} else {
			d.Tick(s.At)
		}
		if st := d.State().String(); st != cur.State {
			cur.To = s.At
			t.States = append(t.States, cur)
			cur = StateSpan{State: st, From: s.At}
		}
	}
	cur.To = ss[len(ss)-1].At
	t.States = append(t.States, cur)
	for i := range t.States {
		t.States[i].FromS = t.States[i].From.Sub(t0).Seconds()
		t.States[i].ToS = t.States[i].To.Sub(t0).Seconds()
	}
	return t
}

// evaluate turns what the platform received into the scenario's checks.
func (r *run) evaluate() {
	arrivals, decisions, drops, evidence, online := r.plat.snapshot()
	res := r.res
	res.Decisions, res.Drops = decisions, drops

	// First arrival of each passage (revision 0), deliveries counted per id and revision.
	byID := map[string]*Seen{}
	var order []string
	deliveries := map[string]int{}
	for _, a := range arrivals {
		p := a.Passage
		deliveries[fmt.Sprintf("%s/%d", p.ID, p.Revision)]++
		s, ok := byID[p.ID]
		if !ok {
			s = &Seen{Passage: p, Arrived: a.At, Evidence: map[string][]byte{}}
			if end, err := time.Parse(time.RFC3339Nano, p.EndedAt); err == nil {
				s.LatencyMs = float64(a.At.Sub(end).Microseconds()) / 1000
			}
			byID[p.ID] = s
			order = append(order, p.ID)
		} else if p.Revision > s.Passage.Revision {
			s.Passage = p // the amended passage is the one that counts
		}
	}
	for _, id := range order {
		s := byID[id]
		s.Deliveries = deliveries[fmt.Sprintf("%s/%d", id, s.Passage.Revision)]
		for _, e := range s.Passage.Evidence {
			if b, ok := evidence[id+"/"+e.Name]; ok {
				s.Evidence[e.Name] = b
			}
		}
		res.Passages = append(res.Passages, *s)
	}
	used := map[string]bool{}
	for i, w := range r.s.Expect.Passages {
		r.checkPassage(i, w, used)
	}
	if c := r.s.Expect.PassagesTotal; c != nil {
		ok, bound := c.holds(len(res.Passages))
		res.check("passages total "+bound, ok, fmt.Sprintf("%d distinct passages received", len(res.Passages)))
	}
	for i, w := range r.s.Expect.Decisions {
		name := fmt.Sprintf("decision[%d]: %s for %s", i, w.Action, w.Plate)
		found := ""
		ok := false
		for _, d := range decisions {
			if d.Plate == nil || d.Plate.Text != w.Plate {
				continue
			}
			found = fmt.Sprintf("%s (%s)", d.Action, strings.Join(d.Reasons, ", "))
			if d.Action == w.Action && (w.Reason == "" || slices.ContainsFunc(d.Reasons, func(s string) bool { return strings.Contains(s, w.Reason) })) {
				ok = true
				break
			}
		}
		if found == "" {
			found = fmt.Sprintf("no decision for %s (%d decisions received)", w.Plate, len(decisions))
		}
		res.check(name, ok, found)
	}
	if c := r.s.Expect.Drops; c != nil {
		ok, bound := c.holds(len(drops))
		var reasons []string
		for _, d := range drops {
			reasons = append(reasons, fmt.Sprintf("%s: %d passages, %d evidence", d.Reason, d.Passages, d.Evidence))
		}
		res.check("drops announced "+bound, ok, fmt.Sprintf("%d drops messages %v", len(drops), reasons))
	}
	lostMax := 0
	if r.s.Expect.LostMax != nil {
		lostMax = *r.s.Expect.LostMax
	}
	lost := lostSeqs(res.Passages, drops)
	res.check(fmt.Sprintf("nothing lost (at most %d unannounced seq gaps)", lostMax), len(lost) <= lostMax,
		fmt.Sprintf("missing seq not announced by drops: %v; highest seq %d", lost, maxSeq(res.Passages)))
	if m := r.s.Expect.DuplicatesMax; m != nil {
		dup := 0
		for _, s := range res.Passages {
			dup += s.Deliveries - 1
		}
		res.check(fmt.Sprintf("duplicates at most %d", *m), dup <= *m, fmt.Sprintf("%d repeated deliveries", dup))
	}
	if lm := r.s.Expect.LatencyMax.D(); lm > 0 {
		worst, which := 0.0, ""
		for _, s := range res.Passages {
			if s.LatencyMs > worst {
				worst, which = s.LatencyMs, s.Passage.ID
			}
		}
		res.check("latency at most "+lm.String(), worst <= float64(lm.Milliseconds()),
			fmt.Sprintf("worst ended_at → platform %.0f ms (passage %s)", worst, which))
	}
	if o := r.s.Expect.Online; o != nil {
		res.check(fmt.Sprintf("online at the end: %v", *o), online == *o, fmt.Sprintf("retained status online: %v", online))
	}
	for i := range res.Checks {
		if !res.Checks[i].OK {
			res.Checks[i].Log = r.log.around(res.Checks[i].At, 10*time.Second)
			if len(res.Checks[i].Log) > 80 {
				res.Checks[i].Log = res.Checks[i].Log[len(res.Checks[i].Log)-80:]
			}
		}
	}
}

func (c Count) holds(n int) (bool, string) {
	ok := (c.Min == nil || n >= *c.Min) && (c.Max == nil || n <= *c.Max)
	switch {
	case c.Min != nil && c.Max != nil && *c.Min == *c.Max:
		return ok, fmt.Sprintf("= %d", *c.Min)
	case c.Min != nil && c.Max != nil:
		return ok, fmt.Sprintf("in [%d, %d]", *c.Min, *c.Max)
	case c.Min != nil:
		return ok, fmt.Sprintf(">= %d", *c.Min)
	case c.Max != nil:
		return ok, fmt.Sprintf("<= %d", *c.Max)
	}
	return ok, "(any)"
}

func maxSeq(ps []Seen) uint64 {
	var m uint64
	for _, p := range ps {
		m = max(m, p.Passage.Seq)
	}
	return m
}

// lostSeqs lists the seq numbers below the highest received that neither arrived nor were
// named by a drops announcement.
func lostSeqs(ps []Seen, drops []wire.Drops) []uint64 {
	have := map[uint64]bool{}
	for _, p := range ps {
		have[p.Passage.Seq] = true
	}
	for _, d := range drops {
		for _, rg := range d.SeqRanges {
			for s := rg[0]; s <= rg[1] && s-rg[0] < 1<<16; s++ {
				have[s] = true
			}
		}
		for _, it := range d.Dropped {
			if it.Kind == "passage" || it.Kind == "announcement" {
				have[it.Seq] = true
			}
		}
	}
	var lost []uint64
	for s := uint64(1); s < maxSeq(ps); s++ {
		if !have[s] {
			lost = append(lost, s)
		}
	}
	sort.Slice(lost, func(i, j int) bool { return lost[i] < lost[j] })
	return lost
}

func (r *run) checkPassage(i int, w PassageWant, used map[string]bool) {
	res := r.res
	label := w.Plate
	if w.NoPlate {
		label = "(no plate)"
	}
	want := max(1, w.Count)
	var found []Seen
	for _, s := range res.Passages {
		p := s.Passage
		if used[p.ID] {
			continue
		}
		if (w.NoPlate && p.Plate == nil) || (!w.NoPlate && p.Plate != nil && p.Plate.Text == w.Plate) {
			found = append(found, s)
		}
	}
	name := fmt.Sprintf("passage[%d] %s", i, label)
	if len(found) < want {
		var got []string
		for _, s := range res.Passages {
			got = append(got, describe(s.Passage))
		}
		res.check(name, false, fmt.Sprintf("want %d passage(s) of %s, found %d; received: %s", want, label, len(found), strings.Join(got, "; ")))
		return
	}
	for k, s := range found[:want] {
		used[s.Passage.ID] = true
		var bad []string
		p := s.Passage
		tol := w.ToleranceKg
		if tol == 0 {
			tol = 40
		}
		if w.GrossKg != nil {
			if p.Weight == nil {
				bad = append(bad, fmt.Sprintf("gross_kg: want %.0f ± %.0f, the passage has no weight", *w.GrossKg, tol))
			} else if math.Abs(p.Weight.GrossKg-*w.GrossKg) > tol {
				bad = append(bad, fmt.Sprintf("gross_kg: want %.0f ± %.0f, got %.0f", *w.GrossKg, tol, p.Weight.GrossKg))
			}
		}
		if w.NoWeight && p.Weight != nil && p.Weight.Stable {
			bad = append(bad, fmt.Sprintf("want no stable weight, got %.0f kg", p.Weight.GrossKg))
		}
		if w.Alarms != nil {
			got, exp := slices.Clone(p.Alarms), slices.Clone(*w.Alarms)
			slices.Sort(got)
			slices.Sort(exp)
			if !slices.Equal(got, exp) {
				bad = append(bad, fmt.Sprintf("alarms: want %v, got %v", exp, got))
			}
		}
		for c, v := range w.Checks {
			if g := checkVerdict(p, c); g != v {
				bad = append(bad, fmt.Sprintf("checks.%s: want %s, got %s", c, v, g))
			}
		}
		if w.EvidenceMin != nil && len(p.Evidence) < *w.EvidenceMin {
			bad = append(bad, fmt.Sprintf("evidence: want at least %d, got %d", *w.EvidenceMin, len(p.Evidence)))
		}
		if w.EvidenceMax != nil && len(p.Evidence) > *w.EvidenceMax {
			bad = append(bad, fmt.Sprintf("evidence: want at most %d, got %d", *w.EvidenceMax, len(p.Evidence)))
		}
		if dropped := r.droppedEvidence(p.ID); len(s.Evidence)+dropped < len(p.Evidence) {
			bad = append(bad, fmt.Sprintf("evidence: %d listed, %d received, %d announced dropped", len(p.Evidence), len(s.Evidence), dropped))
		}
		if w.Late != nil && p.Late != *w.Late {
			bad = append(bad, fmt.Sprintf("late: want %v, got %v", *w.Late, p.Late))
		}
		if w.Vendor != "" && (p.Plate == nil || p.Plate.Vendor != w.Vendor) {
			got := "(no plate)"
			if p.Plate != nil {
				got = p.Plate.Vendor
			}
			bad = append(bad, fmt.Sprintf("vendor: want %s, got %s", w.Vendor, got))
		}
		if w.Amended != nil && (p.Revision > 0) != *w.Amended {
			bad = append(bad, fmt.Sprintf("amended: want %v, got revision %d", *w.Amended, p.Revision))
		}
		if w.EndReason != "" && p.EndReason != w.EndReason {
			bad = append(bad, fmt.Sprintf("end_reason: want %q, got %q", w.EndReason, p.EndReason))
		}
		if w.Barrier != "" {
			got := "(none)"
			if p.Barrier != nil {
				got = p.Barrier.Action
			}
			if got != w.Barrier {
				bad = append(bad, fmt.Sprintf("barrier: want %s, got %s", w.Barrier, got))
			}
		}
		n := name
		if want > 1 {
			n = fmt.Sprintf("%s #%d", name, k+1)
		}
		if len(bad) > 0 {
			res.check(n, false, strings.Join(bad, "; ")+" — "+describe(p))
		} else {
			res.check(n, true, describe(p))
		}
	}
}

// droppedEvidence counts the evidence of passage id that drops announcements name.
func (r *run) droppedEvidence(id string) int {
	n := 0
	for _, d := range r.res.Drops {
		for _, it := range d.Dropped {
			if it.Kind == "evidence" && it.Ref == id {
				n++
			}
		}
	}
	return n
}

func checkVerdict(p wire.Passage, c string) string {
	switch c {
	case "overload":
		return string(p.Checks.Overload.Verdict)
	case "registry":
		return string(p.Checks.Registry.Verdict)
	case "permit":
		return string(p.Checks.Permit.Verdict)
	case "mud":
		return string(p.Checks.Mud.Verdict)
	}
	return "(no check " + c + ")"
}

// describe is a passage in one line.
func describe(p wire.Passage) string {
	plate, weight := "(no plate)", "(no weight)"
	if p.Plate != nil {
		plate = p.Plate.Text
	}
	if p.Weight != nil {
		weight = fmt.Sprintf("%.0f kg", p.Weight.GrossKg)
		if !p.Weight.Stable {
			weight += " unstable"
		}
	}
	alarms := "none"
	if len(p.Alarms) > 0 {
		alarms = strings.Join(p.Alarms, ",")
	}
	return fmt.Sprintf("#%d %s %s alarms %s, %d evidence", p.Seq, plate, weight, alarms, len(p.Evidence))
}
