package head

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Schema names the JSON form of a Head.
const Schema = "sitegate.head/v1"

// Head weighs a frame's region scores into one score in [0, 1]: sigmoid(Bias + Σ Weights[i] *
// logit(score of region i)), an alarm at or above Threshold.
type Head struct {
	Schema    string    `json:"schema"`
	Scorer    string    `json:"scorer"`  // the scorer it sits on ("classic", "onnx")
	Regions   []string  `json:"regions"` // the region names, in the order of Weights
	Weights   []float64 `json:"weights"`
	Bias      float64   `json:"bias"`
	Threshold float64   `json:"threshold"`
}

// Sample is one reviewed frame: its region scores (in Head.Regions order) and the verdict a
// person gave it.
type Sample struct {
	Scores   []float64
	Positive bool
}

// logit maps a score to the real line, clamped so 0 and 1 stay finite.
func logit(p float64) float64 {
	p = math.Min(1-1e-4, math.Max(1e-4, p))
	return math.Log(p / (1 - p))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Score is the head's score of a frame's region scores.
func (h Head) Score(scores []float64) float64 {
	z := h.Bias
	for i, w := range h.Weights {
		if i < len(scores) {
			z += w * logit(scores[i])
		}
	}
	return sigmoid(z)
}

// Check reports what is wrong with a head read from outside.
func (h Head) Check() error {
	var errs []error
	if h.Schema != Schema {
		errs = append(errs, fmt.Errorf("schema: %q, want %q", h.Schema, Schema))
	}
	if len(h.Regions) == 0 || len(h.Weights) != len(h.Regions) {
		errs = append(errs, fmt.Errorf("weights: %d for %d regions", len(h.Weights), len(h.Regions)))
	}
	for i, w := range append(append([]float64(nil), h.Weights...), h.Bias) {
		if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 1e3 {
			errs = append(errs, fmt.Errorf("weights[%d]: %v is out of range", i, w))
		}
	}
	if !(h.Threshold > 0 && h.Threshold < 1) {
		errs = append(errs, fmt.Errorf("threshold: %v is not inside (0, 1)", h.Threshold))
	}
	return errors.Join(errs...)
}

// Parse reads a head's JSON and checks it.
func Parse(b []byte) (Head, error) {
	var h Head
	if err := json.Unmarshal(b, &h); err != nil {
		return Head{}, fmt.Errorf("head: %w", err)
	}
	if err := h.Check(); err != nil {
		return Head{}, fmt.Errorf("head: %w", err)
	}
	return h, nil
}

// Options tune Fit.
type Options struct {
	// L2 is the ridge penalty on the weights (not the bias); default 0.5, which keeps a head
	// fitted to a few dozen frames from leaning on one noisy region.
	L2 float64
}

// ErrOneClass is returned by Fit when the samples hold only one verdict.
var ErrOneClass = errors.New("head: the reviewed frames hold only one verdict")

// Fit fits a head to samples by penalised logistic regression (Newton's method), then picks the
// threshold with the best F1 on them (the middle of the widest gap among ties).
func Fit(scorer string, regions []string, samples []Sample, o Options) (Head, error) {
	if o.L2 <= 0 {
		o.L2 = 0.5
	}
	pos := 0
	for _, s := range samples {
		if len(s.Scores) != len(regions) {
			return Head{}, fmt.Errorf("head: a sample has %d scores for %d regions", len(s.Scores), len(regions))
		}
		if s.Positive {
			pos++
		}
	}
	if pos == 0 || pos == len(samples) {
		return Head{}, ErrOneClass
	}
	k := len(regions) + 1 // weights, then the bias
	x := make([][]float64, len(samples))
	for i, s := range samples {
		x[i] = make([]float64, k)
		for j, v := range s.Scores {
			x[i][j] = logit(v)
		}
		x[i][k-1] = 1
	}
	beta := make([]float64, k)
	for iter := 0; iter < 50; iter++ {
		grad := make([]float64, k)
		hess := make([][]float64, k)
		for j := range hess {
			hess[j] = make([]float64, k)
		}
		for i, s := range samples {
			z := 0.0
			for j := range beta {
				z += beta[j] * x[i][j]
			}
			p := sigmoid(z)
			y := 0.0
			if s.Positive {
				y = 1
			}
			for j := range beta {
				grad[j] += (p - y) * x[i][j]
				for l := range beta {
					hess[j][l] += p * (1 - p) * x[i][j] * x[i][l]
				}
			}
		}
		for j := 0; j < k-1; j++ {
			grad[j] += o.L2 * beta[j]
			hess[j][j] += o.L2
		}
		hess[k-1][k-1] += 1e-6
		step, ok := solve(hess, grad)
		if !ok {
			break
		}
		moved := 0.0
		for j := range beta {
			beta[j] -= step[j]
			moved = math.Max(moved, math.Abs(step[j]))
		}
		if moved < 1e-8 {
			break
		}
	}
	h := Head{Schema: Schema, Scorer: scorer, Regions: append([]string(nil), regions...), Weights: beta[:k-1], Bias: beta[k-1]}
	scored := make([]Scored, len(samples))
	for i, s := range samples {
		scored[i] = Scored{Score: h.Score(s.Scores), Positive: s.Positive}
	}
	h.Threshold, _ = BestThreshold(scored)
	h.Threshold = math.Min(0.999, math.Max(0.001, h.Threshold))
	return h, nil
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) ([]float64, bool) {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return nil, false
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x, true
}

// Scored is one frame's score and its true verdict.
type Scored struct {
	Score    float64
	Positive bool
}

// F1 is the F1 of calling every score at or above threshold positive.
func F1(s []Scored, threshold float64) float64 {
	tp, fp, fn := 0, 0, 0
	for _, v := range s {
		pred := v.Score >= threshold
		switch {
		case pred && v.Positive:
			tp++
		case pred:
			fp++
		case v.Positive:
			fn++
		}
	}
	if 2*tp+fp+fn == 0 {
		return 0
	}
	return float64(2*tp) / float64(2*tp+fp+fn)
}

// BestThreshold is the threshold with the best F1 on s; among ties, the middle of the widest gap
// between consecutive scores.
func BestThreshold(s []Scored) (float64, float64) {
	if len(s) == 0 {
		return 0.5, 0
	}
	v := append([]Scored(nil), s...)
	sort.Slice(v, func(i, j int) bool { return v[i].Score < v[j].Score })
	bestT, bestF, bestGap := 0.5, -1.0, -1.0
	for i := 1; i < len(v); i++ {
		gap := v[i].Score - v[i-1].Score
		if gap <= 0 {
			continue
		}
		t := (v[i].Score + v[i-1].Score) / 2
		f := F1(v, t)
		if f > bestF+1e-12 || (math.Abs(f-bestF) <= 1e-12 && gap > bestGap) {
			bestT, bestF, bestGap = t, f, gap
		}
	}
	if bestF < 0 { // every score equal
		return v[0].Score, F1(v, v[0].Score)
	}
	return bestT, bestF
}
