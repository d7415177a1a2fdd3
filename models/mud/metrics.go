package mud

import (
	"math"
	"sort"
)

// Confusion counts a binary classifier's outcomes; positive is "muddy".
type Confusion struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// Add counts one outcome.
func (c *Confusion) Add(predicted, actual bool) {
	switch {
	case predicted && actual:
		c.TP++
	case predicted:
		c.FP++
	case actual:
		c.FN++
	default:
		c.TN++
	}
}

// Precision is TP/(TP+FP); 0 when nothing was predicted positive.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN); 0 when there is no positive.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// Accuracy is the share of correct outcomes.
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Sample is one labelled score.
type Sample struct {
	Score float64
	Muddy bool
}

// Evaluate counts the outcomes of samples at threshold.
func Evaluate(samples []Sample, threshold float64) Confusion {
	var c Confusion
	for _, s := range samples {
		c.Add(s.Score >= threshold, s.Muddy)
	}
	return c
}

// BestThreshold picks the threshold with the highest F1 on samples; among equals it takes the
// middle of the widest gap between scores, so it sits as far from both classes as the data
// allows. With no muddy sample it returns a threshold just above every score.
func BestThreshold(samples []Sample) (threshold float64, c Confusion) {
	if len(samples) == 0 {
		return 0.5, Confusion{}
	}
	s := append([]Sample(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i].Score < s[j].Score })
	// Candidates are midpoints between consecutive distinct scores, plus the ends.
	type cand struct{ t, gap float64 }
	cands := []cand{{math.Max(0, s[0].Score-1e-6), 0}, {math.Min(1, s[len(s)-1].Score+1e-6), 0}}
	for i := 1; i < len(s); i++ {
		if d := s[i].Score - s[i-1].Score; d > 0 {
			cands = append(cands, cand{(s[i].Score + s[i-1].Score) / 2, d})
		}
	}
	bestF, bestGap := -1.0, -1.0
	for _, k := range cands {
		conf := Evaluate(s, k.t)
		f := conf.F1()
		if f > bestF+1e-12 || (math.Abs(f-bestF) <= 1e-12 && k.gap > bestGap) {
			bestF, bestGap, threshold, c = f, k.gap, k.t, conf
		}
	}
	return threshold, c
}
