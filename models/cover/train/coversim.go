//go:build !nocv

package main

import (
	"fmt"
	"math/rand"
	"sync"

	"gocv.io/x/gocv"

	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision/quality"
	"sitegate/testbench/coversim"
)

// coversimSet renders frames of testbench/coversim, the generator written apart from
// coverscene, never fitted or chosen on: perGate frames at each of n gates of seed (labels and
// conditions balanced in runs of 32), the first calPer of a gate to calibrate on, the rest to
// score; and blind frames (coversim's blind cameras, every fourth a seeing control), for the
// quality judge.
func coversimSet(seed int64, n, perGate, calPer, blind int) ([]evalGate, []blindFrame, error) {
	gates := coversim.SetGates(seed, n)
	type job struct{ gi, i int }
	var jobs []job
	for gi := range gates {
		for i := 0; i < perGate; i++ {
			jobs = append(jobs, job{gi, i})
		}
	}
	for i := 0; i < blind; i++ {
		jobs = append(jobs, job{-1, i})
	}
	frames := make([][]evalFrame, len(gates))
	for gi := range frames {
		frames[gi] = make([]evalFrame, perGate)
	}
	blinds := make([]blindFrame, blind)
	next := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for k := 0; k < 2; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if err := coversimFrame(seed, gates, j.gi, j.i, frames, blinds); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("coversim gate %d frame %d: %w", j.gi, j.i, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	var out []evalGate
	for gi, g := range gates {
		out = append(out, evalGate{Name: "coversim-" + g.Name(), Cal: frames[gi][:calPer], Test: frames[gi][calPer:]})
	}
	return out, blinds, nil
}

// blindFrame is one of coversim's blind-camera frames as the quality judge saw it.
type blindFrame struct {
	Blind   bool   // the camera cannot see
	Reason  string // coversim's reason
	Refused string // the quality judge's ("" when it let the frame through)
}

func coversimFrame(seed int64, gates []coversim.Gate, gi, i int, frames [][]evalFrame, blinds []blindFrame) error {
	var m gocv.Mat
	var regions []mud.Region
	var tr truth
	var reason string
	if gi < 0 {
		g := gates[i%len(gates)]
		rng := rand.New(rand.NewSource(seed*7919 + int64(i)))
		img, bl := coversim.RenderBlind(g, coversim.BlindReason(i), width, height, rng)
		var err error
		if m, err = jpegMat(img, g.JPEGQuality); err != nil {
			return err
		}
		regions = simRegions(g)
		blinds[i].Blind, reason = bl.Blind, bl.Reason
	} else {
		g := gates[gi]
		rng := rand.New(rand.NewSource(seed*1_000_003 + int64(gi)*10_007 + int64(i)))
		s := coversim.FrameSpec(gi, i, rng)
		s.Width, s.Height = width, height
		img, lab := coversim.Render(g, s, rng)
		var err error
		if m, err = jpegMat(img, g.JPEGQuality); err != nil {
			return err
		}
		regions = simRegions(g)
		tr = truth{Label: lab.Label, Condition: lab.Condition, View: lab.View, Gate: "coversim-" + g.Name()}
	}
	defer m.Close()
	v, err := quality.Judge(m, boxes(regions), nil, quality.Limits{})
	if err != nil {
		return err
	}
	if gi < 0 {
		blinds[i].Reason, blinds[i].Refused = reason, string(v.Reason)
		return nil
	}
	f, err := cover.Features(m, regions)
	if err != nil {
		return err
	}
	frames[gi][i] = evalFrame{Truth: tr, Regions: regions, Feats: f, Blind: !v.OK()}
	return nil
}

func simRegions(g coversim.Gate) []mud.Region {
	var out []mud.Region
	for _, r := range g.Regions() {
		out = append(out, mud.Region{Name: r.Name, Polygon: r.Polygon})
	}
	return out
}
