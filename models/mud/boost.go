package mud

import (
	"math"
	"sort"
)

// Stump is one decision stump of a boosted model: x[Feature] <= Split gives Left, else Right.
type Stump struct {
	Feature     int
	Split       float64
	Left, Right float64
}

// Boosted is a sum of decision stumps (real AdaBoost); score = σ(2·Σ stumps).
type Boosted struct {
	Stumps []Stump
}

// Score applies the model to x.
func (m Boosted) Score(x []float64) float64 {
	z := 0.0
	for _, s := range m.Stumps {
		if s.Feature < 0 || s.Feature >= len(x) {
			return 0
		}
		if x[s.Feature] <= s.Split {
			z += s.Left
		} else {
			z += s.Right
		}
	}
	return sigmoid(2 * z)
}

// FitBoosted fits rounds stumps to feature vectors xs labelled ys by real AdaBoost, trying the
// split points at the given quantiles of each feature. It is deterministic.
func FitBoosted(xs [][]float64, ys []bool, rounds int) Boosted {
	n := len(xs)
	if n == 0 {
		return Boosted{}
	}
	d := len(xs[0])
	var splits [][]float64
	for j := 0; j < d; j++ {
		v := make([]float64, n)
		for i := range xs {
			v[i] = xs[i][j]
		}
		sort.Float64s(v)
		var cand []float64
		for q := 1; q < 32; q++ {
			c := v[q*n/32]
			if len(cand) == 0 || c != cand[len(cand)-1] {
				cand = append(cand, c)
			}
		}
		splits = append(splits, cand)
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	const eps = 1e-4
	var m Boosted
	for r := 0; r < rounds; r++ {
		best, bestZ := Stump{}, math.Inf(1)
		for j := 0; j < d; j++ {
			for _, sp := range splits[j] {
				var lp, ln, rp, rn float64
				for i, x := range xs {
					switch {
					case x[j] <= sp && ys[i]:
						lp += w[i]
					case x[j] <= sp:
						ln += w[i]
					case ys[i]:
						rp += w[i]
					default:
						rn += w[i]
					}
				}
				z := math.Sqrt(lp*ln) + math.Sqrt(rp*rn)
				if z < bestZ {
					bestZ = z
					best = Stump{Feature: j, Split: sp, Left: 0.5 * math.Log((lp+eps)/(ln+eps)), Right: 0.5 * math.Log((rp+eps)/(rn+eps))}
				}
			}
		}
		// Shrink each step a little, so no single stump decides alone.
		best.Left *= 0.5
		best.Right *= 0.5
		m.Stumps = append(m.Stumps, best)
		sum := 0.0
		for i, x := range xs {
			h := best.Right
			if x[best.Feature] <= best.Split {
				h = best.Left
			}
			y := -1.0
			if ys[i] {
				y = 1
			}
			w[i] *= math.Exp(-y * h)
			sum += w[i]
		}
		for i := range w {
			w[i] /= sum
		}
	}
	return m
}
