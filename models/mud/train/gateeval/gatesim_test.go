//go:build !nocv

package gateeval

import (
	"bytes"
	"flag"
	"image/jpeg"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/models/mud"
	"sitegate/testbench/gatesim"
)

// Figures on testbench/gatesim, the generator written apart from testbench/scene and never
// used for fitting or for choosing anything. They are what the shipped models reach there, asserted so
// that a change that makes them worse fails; the acceptance asks for 0.85 and 0.93, which
// they do not reach (docs/mud.md).
var gatesimFloor = map[string][2]float64{ // scorer: uncalibrated, calibrated
	mud.Classic: {0.65, 0.65}, // measured 0.674 and 0.671 (seed 31, 3 gates, 640x360)
	mud.ONNX:    {0.58, 0.64}, // measured 0.601 and 0.663
}

var gatesimRun = flag.Bool("gatesim", false, "score the shipped models on testbench/gatesim (renders 780 frames: minutes)")

// TestGatesim scores the shipped scorers on gatesim gates, uncalibrated and after calibrating
// on 60 labelled frames of each gate, on 200 others.
func TestGatesim(t *testing.T) {
	if !*gatesimRun {
		t.Skip("renders and scores 780 frames: run with -args -gatesim")
	}
	scorers, ts := shipped(t)
	const seed = 31
	gates := gatesim.SetGates(gatesim.Options{Gates: 3, Seed: seed, Width: 640, Height: 360})
	type judged struct {
		res   []mud.Result
		muddy bool
	}
	var pooled [2][2]mud.Confusion
	for gi, g := range gates {
		var regions []mud.Region
		for _, r := range g.ROIs() {
			regions = append(regions, mud.Region{Name: r.Name, Polygon: r.Polygon})
		}
		var frames []judged
		for j := 0; j < 260; j++ {
			img, lab, c := gatesim.GateFrame(g, seed, gi, j)
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: c.JPEGQuality}); err != nil {
				t.Fatal(err)
			}
			m, err := gocv.IMDecode(buf.Bytes(), gocv.IMReadColor)
			if err != nil {
				t.Fatal(err)
			}
			jd := judged{muddy: lab.Muddy}
			for _, s := range scorers {
				r, err := s.Score(m, regions)
				if err != nil {
					t.Fatal(err)
				}
				jd.res = append(jd.res, r)
			}
			m.Close()
			frames = append(frames, jd)
		}
		for k, s := range scorers {
			var ls []mud.LabelledScores
			for _, f := range frames[:60] {
				ls = append(ls, mud.LabelledScores{Regions: f.res[k].Regions, Features: f.res[k].Features, Muddy: f.muddy})
			}
			cal, rep, ferr := mud.FitScores(s.Name(), ls, mud.FitOptions{Threshold: ts[k]})
			var u, c mud.Confusion
			for _, f := range frames[60:] {
				r := f.res[k]
				u.Add(r.Score >= ts[k], f.muddy)
				after := r.Score >= ts[k]
				if ferr == nil {
					p, _ := cal.ApplyResult(r)
					after = p >= cal.Threshold
				}
				c.Add(after, f.muddy)
			}
			add(&pooled[k][0], u)
			add(&pooled[k][1], c)
			t.Logf("gatesim %s %s: uncalibrated F1 %.3f %+v; calibrated (%s %s) F1 %.3f %+v", g.Name, s.Name(), u.F1(), u, rep.Stage, rep.Refused, c.F1(), c)
		}
	}
	for k, s := range scorers {
		u, c := pooled[k][0].F1(), pooled[k][1].F1()
		t.Logf("gatesim %s pooled: uncalibrated F1 %.3f, calibrated %.3f", s.Name(), u, c)
		floor := gatesimFloor[s.Name()]
		if u < floor[0] || c < floor[1] {
			t.Errorf("gatesim %s: F1 %.3f uncalibrated, %.3f calibrated; the shipped models reached %.2f and %.2f", s.Name(), u, c, floor[0], floor[1])
		}
	}
}
