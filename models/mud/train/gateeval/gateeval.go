//go:build !nocv

package gateeval

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

// Gate seeds. Fits use gates drawn from seeds below 1000 (FitGates), and choose their settings
// on ValidationGates; leave-gates-out figures use EvalGates, which no fit or choice saw.
const (
	FitSeed        = 1
	ValidationSeed = 2
	EvalSeed       = 2001
)

// FitGates are the gates fits draw their frames at.
func FitGates(n int) []scene.Gate { return scene.Gates(FitSeed, n, "fit") }

// ValidationGates are the gates settings are chosen on.
func ValidationGates(n int) []scene.Gate { return scene.Gates(ValidationSeed, n, "val") }

// EvalGates are the gates never used in fitting or in choosing anything.
func EvalGates(n int) []scene.Gate { return scene.Gates(EvalSeed, n, "eval") }

// Regions are gate g's regions, as the scorers take them.
func Regions(g scene.Gate) []mud.Region {
	var out []mud.Region
	for _, r := range g.Regions() {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		out = append(out, reg)
	}
	return out
}

// Each renders every spec at w×h (two workers) and calls fn with its index and frame, from the
// worker; the frame is closed after fn returns.
func Each(specs []scene.Spec, w, h int, fn func(i int, frame FrameRef) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for k := 0; k < 2; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m, err := scene.Frame(specs[i], w, h)
				if err == nil {
					err = fn(i, FrameRef{m})
				}
				m.Close()
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("%s: %w", specs[i], err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// Judged is one frame as each scorer judged it.
type Judged struct {
	Spec    scene.Spec
	Results []mud.Result // by scorer
}

// Judge renders specs and scores each with every scorer over its gate's regions.
func Judge(specs []scene.Spec, scorers []mud.Scorer, w, h int) ([]Judged, error) {
	out := make([]Judged, len(specs))
	err := Each(specs, w, h, func(i int, f FrameRef) error {
		out[i] = Judged{Spec: specs[i], Results: make([]mud.Result, len(scorers))}
		regions := Regions(specs[i].Gate)
		for k, s := range scorers {
			r, err := s.Score(f.Mat, regions)
			if err != nil {
				return err
			}
			out[i].Results[k] = r
		}
		return nil
	})
	return out, err
}

// Options set a leave-gates-out run.
type Options struct {
	Gates []scene.Gate
	// CalPerCell and TestPerCell are frames per condition and severity pair: 6 and 20 give the
	// acceptance's 60 calibration frames and 200 test frames a gate.
	CalPerCell, TestPerCell int
	Width, Height           int // default 640x360
	// Seed picks the frames (a calibration set and a test set per gate, sharing none).
	Seed uint64
	// FeatureLambda is the calibration's features stage penalty (mud.FitOptions; 0: its
	// default).
	FeatureLambda float64
}

// Cell is one scorer's outcomes at one gate (or in one condition there).
type Cell struct {
	Uncal, Cal mud.Confusion
}

// GateResult is one scorer at one gate.
type GateResult struct {
	Gate, Scorer string
	Threshold    float64 // the shipped one
	All          Cell
	ByCondition  map[scene.Condition]*Cell
	ByHazard     map[string]*Cell // by each hazard present ("none" for none)
	Calibration  mud.Calibration
	Report       mud.FitReport
	Refused      string // why the calibration was refused (then Cal is the shipped model's)
}

// LeaveGatesOut scores each gate's frames with each scorer at its shipped threshold, then fits
// a calibration on the gate's calibration frames and scores its test frames with it. A refused
// calibration leaves the shipped model in place, as `calibrate mud` would.
func LeaveGatesOut(scorers []mud.Scorer, thresholds []float64, o Options) ([]GateResult, error) {
	if o.Width == 0 {
		o.Width, o.Height = 640, 360
	}
	var out []GateResult
	for gi, g := range o.Gates {
		cal, err := Judge(scene.SetOptions{Seed: o.Seed + uint64(2*gi), PerCell: o.CalPerCell, Width: o.Width, Height: o.Height, Gates: []scene.Gate{g}}.Specs(), scorers, o.Width, o.Height)
		if err != nil {
			return nil, err
		}
		test, err := Judge(scene.SetOptions{Seed: o.Seed + uint64(2*gi+1), PerCell: o.TestPerCell, Width: o.Width, Height: o.Height, Gates: []scene.Gate{g}}.Specs(), scorers, o.Width, o.Height)
		if err != nil {
			return nil, err
		}
		for k, s := range scorers {
			var ls []mud.LabelledScores
			for _, j := range cal {
				ls = append(ls, mud.LabelledScores{Regions: j.Results[k].Regions, Features: j.Results[k].Features, Muddy: j.Spec.Severity != scene.Clean})
			}
			c, rep, ferr := mud.FitScores(s.Name(), ls, mud.FitOptions{Threshold: thresholds[k], FeatureLambda: o.FeatureLambda})
			gr := GateResult{Gate: g.Name, Scorer: s.Name(), Threshold: thresholds[k], ByCondition: map[scene.Condition]*Cell{}, ByHazard: map[string]*Cell{}, Calibration: c, Report: rep}
			if ferr != nil {
				gr.Refused = rep.Refused
			}
			for _, j := range test {
				r := j.Results[k]
				muddy := j.Spec.Severity != scene.Clean
				after := r.Score >= thresholds[k]
				if ferr == nil {
					p, err := c.ApplyResult(r)
					if err != nil {
						return nil, err
					}
					after = p >= c.Threshold
				}
				cell := gr.ByCondition[j.Spec.Condition]
				if cell == nil {
					cell = &Cell{}
					gr.ByCondition[j.Spec.Condition] = cell
				}
				cells := []*Cell{&gr.All, cell}
				for _, h := range strings.Split(j.Spec.Hazards.Names(), "+") {
					if gr.ByHazard[h] == nil {
						gr.ByHazard[h] = &Cell{}
					}
					cells = append(cells, gr.ByHazard[h])
				}
				for _, c := range cells {
					c.Uncal.Add(r.Score >= thresholds[k], muddy)
					c.Cal.Add(after, muddy)
				}
			}
			out = append(out, gr)
		}
	}
	return out, nil
}

// Summary is a scorer's worst and pooled figures over gates.
type Summary struct {
	Scorer                 string
	MinUncal, MinCal       float64
	PooledUncal, PooledCal mud.Confusion
	Refused                int
}

// Summarise pools results by scorer.
func Summarise(rs []GateResult) []Summary {
	by := map[string]*Summary{}
	var names []string
	for _, r := range rs {
		s := by[r.Scorer]
		if s == nil {
			s = &Summary{Scorer: r.Scorer, MinUncal: math.Inf(1), MinCal: math.Inf(1)}
			by[r.Scorer] = s
			names = append(names, r.Scorer)
		}
		s.MinUncal = math.Min(s.MinUncal, r.All.Uncal.F1())
		s.MinCal = math.Min(s.MinCal, r.All.Cal.F1())
		add(&s.PooledUncal, r.All.Uncal)
		add(&s.PooledCal, r.All.Cal)
		if r.Refused != "" {
			s.Refused++
		}
	}
	out := make([]Summary, 0, len(names))
	for _, n := range names {
		out = append(out, *by[n])
	}
	return out
}

func add(a *mud.Confusion, b mud.Confusion) {
	a.TP += b.TP
	a.FP += b.FP
	a.TN += b.TN
	a.FN += b.FN
}

// Print writes the per-gate, per-condition table (markdown) and the summary.
func Print(w io.Writer, rs []GateResult) {
	fmt.Fprintln(w, "| gate | scorer | condition | F1 uncalibrated | F1 calibrated |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, r := range rs {
		conds := make([]string, 0, len(r.ByCondition))
		for c := range r.ByCondition {
			conds = append(conds, string(c))
		}
		sort.Slice(conds, func(i, j int) bool { return condIndex(conds[i]) < condIndex(conds[j]) })
		for _, c := range conds {
			cell := r.ByCondition[scene.Condition(c)]
			fmt.Fprintf(w, "| %s | %s | %s | %.3f | %.3f |\n", r.Gate, r.Scorer, c, cell.Uncal.F1(), cell.Cal.F1())
		}
		note := ""
		if r.Refused != "" {
			note = " (calibration refused: " + r.Refused + ")"
		}
		fmt.Fprintf(w, "| %s | %s | **all** | **%.3f** | **%.3f**%s |\n", r.Gate, r.Scorer, r.All.Uncal.F1(), r.All.Cal.F1(), note)
	}
	// By hazard, pooled over gates: what fools each scorer.
	type hk struct{ scorer, hazard string }
	by := map[hk]*Cell{}
	var keys []hk
	for _, r := range rs {
		for h, c := range r.ByHazard {
			k := hk{r.Scorer, h}
			if by[k] == nil {
				by[k] = &Cell{}
				keys = append(keys, k)
			}
			add(&by[k].Uncal, c.Uncal)
			add(&by[k].Cal, c.Cal)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].scorer != keys[j].scorer {
			return keys[i].scorer < keys[j].scorer
		}
		return keys[i].hazard < keys[j].hazard
	})
	for _, k := range keys {
		c := by[k]
		fmt.Fprintf(w, "%s, hazard %s: F1 %.3f -> %.3f (uncal %+v)\n", k.scorer, k.hazard, c.Uncal.F1(), c.Cal.F1(), c.Uncal)
	}
	for _, s := range Summarise(rs) {
		fmt.Fprintf(w, "%s: worst gate F1 uncalibrated %.3f, calibrated %.3f; pooled %.3f -> %.3f (uncal %+v, cal %+v); %d calibrations refused\n",
			s.Scorer, s.MinUncal, s.MinCal, s.PooledUncal.F1(), s.PooledCal.F1(), s.PooledUncal, s.PooledCal, s.Refused)
	}
}

func condIndex(c string) int {
	for i, k := range scene.Conditions {
		if string(k) == c {
			return i
		}
	}
	return len(scene.Conditions)
}
