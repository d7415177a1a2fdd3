//go:build !nocv

package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"

	"gocv.io/x/gocv"

	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision/quality"
	"sitegate/testbench/coverscene"
)

// evalOptions set a leave-gates-out run: at each gate, CalPerCell frames of each label in each
// condition to calibrate on and TestPerCell others to score (3 and 10: the acceptance's 60 and
// 200).
type evalOptions struct {
	Gates []coverscene.Gate
	// First is the index of Gates[0] among the evaluation gates (the frames' seeds follow it).
	First                   int
	CalPerCell, TestPerCell int
	Seed                    int64
}

// cell counts outcomes uncalibrated (at 0.5) and calibrated.
type cell struct{ Uncal, Cal mud.Confusion }

// gateResult is the scorer at one gate.
type gateResult struct {
	Gate, View string
	All        cell
	ByCond     map[string]*cell
	Stage      string // the calibration kind chosen
	Refused    string // why the calibration was refused (then Cal is the uncalibrated model)
	// Kinds: among alarm frames the scorer (uncalibrated) called alarms, how many got the
	// right kind; the kind confusion by true label.
	KindRight, KindN int
	KindConf         map[[2]string]int
	// Blind: test frames the quality judge refused, by condition (normal frames, all of them).
	Blind, Frames map[string]int
	// Passed and Covered count the covered test frames by cover (tarp-blue, lid, empty, ...):
	// those passed uncalibrated, and all.
	Passed, Covered map[string]int
}

func addConf(a *mud.Confusion, b mud.Confusion) {
	a.TP += b.TP
	a.FP += b.FP
	a.TN += b.TN
	a.FN += b.FN
}

// boxes are the regions' bounds, as the quality judge takes them.
func boxes(regions []mud.Region) []quality.Box {
	out := make([]quality.Box, len(regions))
	for i, r := range regions {
		b := quality.Box{X0: 1, Y0: 1}
		for _, p := range r.Polygon {
			b.X0, b.Y0 = math.Min(b.X0, p[0]), math.Min(b.Y0, p[1])
			b.X1, b.Y1 = math.Max(b.X1, p[0]), math.Max(b.Y1, p[1])
		}
		out[i] = b
	}
	return out
}

// evalFrame is a rendered evaluation frame: its truth, regions and features, and whether the
// quality judge (default limits, no empty-lane reference) refused it.
type evalFrame struct {
	Truth   truth
	Regions []mud.Region
	Feats   [][]float64
	Blind   bool
}

// evalGate is one evaluation gate's calibration and test frames.
type evalGate struct {
	Name      string
	Cal, Test []evalFrame
}

// renderEval renders the evaluation frames and computes what any model is scored from.
func renderEval(o evalOptions) ([]evalGate, error) {
	var out []evalGate
	for k, g := range o.Gates {
		gi := o.First + k
		eg := evalGate{Name: g.Name()}
		for k, set := range []*[]evalFrame{&eg.Cal, &eg.Test} {
			per := o.CalPerCell
			if k == 1 {
				per = o.TestPerCell
			}
			its := items([]coverscene.Gate{g}, per, o.Seed+int64(2*gi+k))
			fs := make([]evalFrame, len(its))
			err := each(its, func(i int, m gocv.Mat, tr truth, regions []mud.Region) error {
				f, err := cover.Features(m, regions)
				if err != nil {
					return err
				}
				v, err := quality.Judge(m, boxes(regions), nil, quality.Limits{})
				if err != nil {
					return err
				}
				fs[i] = evalFrame{Truth: tr, Regions: regions, Feats: f, Blind: !v.OK()}
				return nil
			})
			if err != nil {
				return nil, err
			}
			*set = fs
		}
		out = append(out, eg)
	}
	return out, nil
}

// leaveGatesOut scores each gate's test frames with m uncalibrated at 0.5, then calibrates
// (mud.FitScores) on the gate's calibration frames and scores the test frames with the
// calibration. A refused calibration leaves the scorer as it is, as `calibrate` would. The
// scores are the classic scorer's (Model.Result over the same features).
func leaveGatesOut(m cover.Model, gates []evalGate) ([]gateResult, error) {
	var out []gateResult
	for _, g := range gates {
		var ls []mud.LabelledScores
		for _, f := range g.Cal {
			alarm, _ := cover.IsAlarmLabel(f.Truth.Label)
			ls = append(ls, mud.LabelledScores{Regions: m.Result(f.Regions, f.Feats).Regions, Muddy: alarm})
		}
		cal, rep, ferr := mud.FitScores(cover.Classic, ls, mud.FitOptions{Threshold: 0.5})
		gr := gateResult{Gate: g.Name, ByCond: map[string]*cell{}, Stage: rep.Stage, KindConf: map[[2]string]int{},
			Blind: map[string]int{}, Frames: map[string]int{}, Passed: map[string]int{}, Covered: map[string]int{}}
		if ferr != nil {
			gr.Refused = rep.Refused
		}
		for _, f := range g.Test {
			res := m.Result(f.Regions, f.Feats)
			gr.View = f.Truth.View
			alarm, _ := cover.IsAlarmLabel(f.Truth.Label)
			uncal := res.Score >= 0.5
			after := uncal
			if ferr == nil {
				p, err := cal.Apply(res.Regions)
				if err != nil {
					return nil, err
				}
				after = p >= cal.Threshold
			}
			c := gr.ByCond[f.Truth.Condition]
			if c == nil {
				c = &cell{}
				gr.ByCond[f.Truth.Condition] = c
			}
			for _, c := range []*cell{&gr.All, c} {
				c.Uncal.Add(uncal, alarm)
				c.Cal.Add(after, alarm)
			}
			if alarm && uncal {
				gr.KindN++
				if res.Kind == f.Truth.Label {
					gr.KindRight++
				}
				gr.KindConf[[2]string{f.Truth.Label, res.Kind}]++
			}
			if !alarm && f.Truth.Cover != "" {
				gr.Covered[f.Truth.Cover]++
				if !uncal {
					gr.Passed[f.Truth.Cover]++
				}
			}
			gr.Frames[f.Truth.Condition]++
			if f.Blind {
				gr.Blind[f.Truth.Condition]++
			}
		}
		out = append(out, gr)
	}
	return out, nil
}

// summary pools gate results.
type summary struct {
	Pooled, MinGate  cell // MinGate: the worst gate's F1 (in TP only, as F1 values)
	MinUncal, MinCal float64
	ByView, ByCond   map[string]*cell
	KindRight, KindN int
	Blind, Frames    int
	Refused          int
}

func summarise(rs []gateResult) summary {
	s := summary{MinUncal: 1, MinCal: 1, ByView: map[string]*cell{}, ByCond: map[string]*cell{}}
	for _, r := range rs {
		addConf(&s.Pooled.Uncal, r.All.Uncal)
		addConf(&s.Pooled.Cal, r.All.Cal)
		s.MinUncal = math.Min(s.MinUncal, r.All.Uncal.F1())
		s.MinCal = math.Min(s.MinCal, r.All.Cal.F1())
		v := s.ByView[r.View]
		if v == nil {
			v = &cell{}
			s.ByView[r.View] = v
		}
		addConf(&v.Uncal, r.All.Uncal)
		addConf(&v.Cal, r.All.Cal)
		for k, c := range r.ByCond {
			p := s.ByCond[k]
			if p == nil {
				p = &cell{}
				s.ByCond[k] = p
			}
			addConf(&p.Uncal, c.Uncal)
			addConf(&p.Cal, c.Cal)
		}
		s.KindRight += r.KindRight
		s.KindN += r.KindN
		for k, n := range r.Frames {
			s.Frames += n
			s.Blind += r.Blind[k]
		}
		if r.Refused != "" {
			s.Refused++
		}
	}
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// printResults writes the per-gate, per-view and per-condition tables (markdown) and the
// summary.
func printResults(w io.Writer, rs []gateResult) {
	fmt.Fprintln(w, "| gate | view | F1 uncalibrated | F1 calibrated | calibration | kind right | quality refused |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rs {
		blind, n := 0, 0
		for k, c := range r.Frames {
			n += c
			blind += r.Blind[k]
		}
		stage := r.Stage
		if r.Refused != "" {
			stage = "refused: " + r.Refused
		}
		fmt.Fprintf(w, "| %s | %s | %.3f | %.3f | %s | %d/%d | %d/%d |\n", r.Gate, r.View, r.All.Uncal.F1(), r.All.Cal.F1(), stage, r.KindRight, r.KindN, blind, n)
	}
	s := summarise(rs)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| view | F1 uncalibrated | F1 calibrated | confusion uncalibrated |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, k := range slices.Sorted(maps.Keys(s.ByView)) {
		c := s.ByView[k]
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %+v |\n", k, c.Uncal.F1(), c.Cal.F1(), c.Uncal)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| condition | F1 uncalibrated | F1 calibrated | confusion uncalibrated | quality refused |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, k := range slices.Sorted(maps.Keys(s.ByCond)) {
		c := s.ByCond[k]
		blind, n := 0, 0
		for _, r := range rs {
			blind += r.Blind[k]
			n += r.Frames[k]
		}
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %+v | %d/%d |\n", k, c.Uncal.F1(), c.Cal.F1(), c.Uncal, blind, n)
	}
	passed, covered := map[string]int{}, map[string]int{}
	for _, r := range rs {
		for k, n := range r.Covered {
			covered[k] += n
			passed[k] += r.Passed[k]
		}
	}
	if len(covered) > 0 {
		fmt.Fprint(w, "\ncovered frames passed uncalibrated, by cover:")
		for _, k := range slices.Sorted(maps.Keys(covered)) {
			fmt.Fprintf(w, " %s %d/%d", k, passed[k], covered[k])
		}
		fmt.Fprintln(w)
	}
	conf := map[[2]string]int{}
	for _, r := range rs {
		for k, n := range r.KindConf {
			conf[k] += n
		}
	}
	keys := slices.Collect(maps.Keys(conf))
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	fmt.Fprint(w, "\nkinds (true -> found):")
	for _, k := range keys {
		fmt.Fprintf(w, " %s->%s %d", k[0], k[1], conf[k])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "pooled: F1 uncalibrated %.3f %+v, calibrated %.3f %+v; worst gate %.3f -> %.3f; kind accuracy among detected alarms %.3f (%d/%d); quality refused %d/%d (%.3f); %d calibrations refused\n",
		s.Pooled.Uncal.F1(), s.Pooled.Uncal, s.Pooled.Cal.F1(), s.Pooled.Cal, s.MinUncal, s.MinCal,
		ratio(s.KindRight, s.KindN), s.KindRight, s.KindN, s.Blind, s.Frames, ratio(s.Blind, s.Frames), s.Refused)
}
