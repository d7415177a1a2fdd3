//go:build !nocv

package main

import (
	"fmt"
	"sync"

	"gocv.io/x/gocv"

	"sitegate/models/cover"
	"sitegate/models/mud"
)

// framed is a rendered frame's truth, regions and region features.
type framed struct {
	Truth   truth
	Regions []mud.Region
	Feats   [][]float64
}

// regionAlarm is a region's training label: a bed region is an alarm whenever the load is not
// properly covered; the above-bed band only when the load is heaped above the side boards
// (an open or torn load does not show there).
func regionAlarm(label, region string) bool {
	if cover.IsAbove(region) {
		return label == cover.Heaped
	}
	alarm, _ := cover.IsAlarmLabel(label)
	return alarm
}

// each renders every item (two workers) and calls fn with its index, frame, truth and regions,
// from the worker; the frame is closed after fn returns. The outcome does not depend on the
// workers' timing.
func each(its []item, fn func(i int, m gocv.Mat, tr truth, regions []mud.Region) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for k := 0; k < 2; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m, tr, regions, err := render(its[i])
				if err == nil {
					err = fn(i, m, tr, regions)
				}
				m.Close()
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("frame %d (gate %s): %w", i, its[i].gate.Name(), err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range its {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// collect renders items and computes their region features.
func collect(its []item) ([]framed, error) {
	out := make([]framed, len(its))
	err := each(its, func(i int, m gocv.Mat, tr truth, regions []mud.Region) error {
		f, err := cover.Features(m, regions)
		out[i] = framed{Truth: tr, Regions: regions, Feats: f}
		return err
	})
	return out, err
}

// fitOptions are the settings chosen on the validation gates.
type fitOptions struct {
	Rounds, KindRounds int
}

// fit fits the cover model to the frames' regions and the kind models to their alarm frames.
func fit(fs []framed, o fitOptions) cover.Model {
	var xs [][]float64
	var ys []bool
	for _, f := range fs {
		for k, r := range f.Regions {
			xs = append(xs, f.Feats[k])
			ys = append(ys, regionAlarm(f.Truth.Label, r.Name))
		}
	}
	m := cover.Model{Cover: mud.FitBoostedTrees(xs, ys, o.Rounds)}
	kx, kl := kindSet(m, fs)
	for _, k := range cover.KindOrder {
		ky := make([]bool, len(kl))
		for i, l := range kl {
			ky[i] = l == k
		}
		m.Kinds = append(m.Kinds, mud.FitBoostedTrees(kx, ky, o.KindRounds))
	}
	return m
}

// kindSet is the kind vectors and labels of the alarm frames among fs, scored by m.
func kindSet(m cover.Model, fs []framed) ([][]float64, []string) {
	var kx [][]float64
	var kl []string
	for _, f := range fs {
		if alarm, _ := cover.IsAlarmLabel(f.Truth.Label); !alarm {
			continue
		}
		kx = append(kx, cover.KindFeatures(f.Regions, f.Feats, scores(m, f)))
		kl = append(kl, f.Truth.Label)
	}
	return kx, kl
}

// scores are a frame's region scores under m.
func scores(m cover.Model, f framed) []float64 {
	s := make([]float64, len(f.Regions))
	for k := range f.Regions {
		s[k] = m.Cover.Score(f.Feats[k])
	}
	return s
}

// frameScore is a frame's score under m: its highest region's.
func frameScore(m cover.Model, f framed) float64 {
	hi := 0.0
	for _, s := range scores(m, f) {
		hi = max(hi, s)
	}
	return hi
}
