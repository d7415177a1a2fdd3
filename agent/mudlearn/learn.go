package mudlearn

import (
	"errors"
	"fmt"
	"hash/fnv"
	"sort"

	"sitegate/models/vision/head"
)

// Frame is one reviewed frame as the camera's scorer scores it now.
type Frame struct {
	PassageID string
	Scores    []float64 // the scorer's region scores, in the regions' order
	Muddy     bool      // the review's label
}

// Rule is the model in force: the shipped rule (the highest region score against the camera's
// threshold) when Head is nil.
type Rule struct {
	Head      *head.Head
	Threshold float64
}

// Score and verdict of one frame under the rule.
func (r Rule) score(scores []float64) (float64, float64) {
	if r.Head != nil {
		return r.Head.Score(scores), r.Head.Threshold
	}
	s := 0.0
	for _, v := range scores {
		s = max(s, v)
	}
	return s, r.Threshold
}

// F1 is the rule's F1 on frames.
func (r Rule) F1(frames []Frame) float64 {
	var sc []head.Scored
	t := 0.0
	for _, f := range frames {
		s, th := r.score(f.Scores)
		t = th
		sc = append(sc, head.Scored{Score: s, Positive: f.Muddy})
	}
	return head.F1(sc, t)
}

// Options tune Fit.
type Options struct {
	// Folds is the number of cross-validation folds; default 5.
	Folds int
	// MinPerClass is the fewest reviewed frames of each label a fit needs; default 5.
	MinPerClass int
}

// Result is a fit and how it compares with the rule in force, on frames each fold's fit did not
// see.
type Result struct {
	Head     head.Head
	Frames   int
	F1Before float64 // the rule in force, on every reviewed frame (it was fitted to none)
	F1After  float64 // the cross-validated F1 of the fit
	Adopt    bool    // F1After > F1Before
	Why      string  // why not, when not
}

// ErrTooFew is returned by Fit when a label has too few reviewed frames.
var ErrTooFew = errors.New("too few reviewed frames")

// Fit fits a head to frames and judges it against the rule in force by stratified k-fold
// cross-validation; the head returned is fitted to every frame.
func Fit(scorer string, regions []string, frames []Frame, inForce Rule, o Options) (Result, error) {
	if o.Folds <= 1 {
		o.Folds = 5
	}
	if o.MinPerClass <= 0 {
		o.MinPerClass = 5
	}
	var pos, neg []Frame
	for _, f := range frames {
		if f.Muddy {
			pos = append(pos, f)
		} else {
			neg = append(neg, f)
		}
	}
	if len(pos) < o.MinPerClass || len(neg) < o.MinPerClass {
		return Result{}, fmt.Errorf("%w: %d muddy and %d clean, at least %d of each", ErrTooFew, len(pos), len(neg), o.MinPerClass)
	}
	folds := min(o.Folds, len(pos), len(neg))
	fold := func(set []Frame) [][]Frame {
		s := append([]Frame(nil), set...)
		sort.Slice(s, func(i, j int) bool { return hash(s[i].PassageID) < hash(s[j].PassageID) })
		out := make([][]Frame, folds)
		for i, f := range s {
			out[i%folds] = append(out[i%folds], f)
		}
		return out
	}
	pf, nf := fold(pos), fold(neg)
	var cv []head.Scored
	var thresholds []float64
	for k := 0; k < folds; k++ {
		var train, test []Frame
		for j := 0; j < folds; j++ {
			if j == k {
				test = append(append(test, pf[j]...), nf[j]...)
			} else {
				train = append(append(train, pf[j]...), nf[j]...)
			}
		}
		h, err := head.Fit(scorer, regions, samples(train), head.Options{})
		if err != nil {
			return Result{}, err
		}
		// Each fold is scored against its own threshold: pool the verdicts, not the scores.
		for _, f := range test {
			v := 0.0
			if h.Score(f.Scores) >= h.Threshold {
				v = 1
			}
			cv = append(cv, head.Scored{Score: v, Positive: f.Muddy})
		}
		thresholds = append(thresholds, h.Threshold)
	}
	all, err := head.Fit(scorer, regions, samples(frames), head.Options{})
	if err != nil {
		return Result{}, err
	}
	r := Result{Head: all, Frames: len(frames), F1Before: inForce.F1(frames), F1After: head.F1(cv, 0.5)}
	r.Adopt = r.F1After > r.F1Before
	if !r.Adopt {
		r.Why = fmt.Sprintf("held-out F1 %.3f is no better than the model in force (%.3f)", r.F1After, r.F1Before)
	}
	if all.Threshold <= 0.001 || all.Threshold >= 0.999 {
		r.Adopt, r.Why = false, fmt.Sprintf("degenerate fit: threshold %.3f at the end of the scale", all.Threshold)
	}
	return r, nil
}

func samples(frames []Frame) []head.Sample {
	out := make([]head.Sample, len(frames))
	for i, f := range frames {
		out[i] = head.Sample{Scores: f.Scores, Positive: f.Muddy}
	}
	return out
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
