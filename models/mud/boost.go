package mud

import (
	"math"
	"sort"
)

// Stump is one decision stump of a boosted model: x[Feature] <= Split gives Left, else Right.
// A gated stump is one branch of a depth-2 tree: it counts only where x[GateFeature] <=
// GateSplit (GateAbove false) or x[GateFeature] > GateSplit (GateAbove true), and gives 0
// elsewhere.
type Stump struct {
	Feature     int
	Split       float64
	Left, Right float64
	Gated       bool
	GateFeature int
	GateSplit   float64
	GateAbove   bool
}

// Boosted is a sum of decision stumps and depth-2 trees (real AdaBoost); score = σ(2·Σ stumps).
type Boosted struct {
	Stumps []Stump
}

// Score applies the model to x.
func (m Boosted) Score(x []float64) float64 {
	z := 0.0
	for _, s := range m.Stumps {
		if s.Feature < 0 || s.Feature >= len(x) || s.Gated && (s.GateFeature < 0 || s.GateFeature >= len(x)) {
			return 0
		}
		if s.Gated && (x[s.GateFeature] > s.GateSplit) != s.GateAbove {
			continue
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
	return fitBoosted(xs, ys, rounds, 1)
}

// FitBoostedTrees is FitBoosted with a depth-2 tree per round (a root split, then the best split
// on each side of it), stored as two gated stumps, so that features can act together: texture
// that means mud in one light and nothing in another.
func FitBoostedTrees(xs [][]float64, ys []bool, rounds int) Boosted {
	return fitBoosted(xs, ys, rounds, 2)
}

// booster holds a training set binned at each feature's candidate splits: bin b holds the values
// in (splits[b-1], splits[b]], so the weights on the two sides of a split are prefix sums over
// bins, one pass over the samples per feature.
type booster struct {
	splits [][]float64
	bins   [][]uint8
	ys     []bool
}

const boostEps = 1e-4

// best returns the stump with the least Z over the samples with use[i] true (all when use is
// nil), and its Z.
func (b *booster) best(w []float64, use []bool) (Stump, float64) {
	best, bestZ := Stump{}, math.Inf(1)
	var pos, neg [33]float64
	for j, bj := range b.bins {
		pos, neg = [33]float64{}, [33]float64{}
		var tp, tn float64
		for i, k := range bj {
			if use != nil && !use[i] {
				continue
			}
			if b.ys[i] {
				pos[k] += w[i]
				tp += w[i]
			} else {
				neg[k] += w[i]
				tn += w[i]
			}
		}
		var lp, ln float64
		for k, sp := range b.splits[j] {
			lp += pos[k]
			ln += neg[k]
			rp, rn := math.Max(0, tp-lp), math.Max(0, tn-ln)
			z := math.Sqrt(lp*ln) + math.Sqrt(rp*rn)
			if z < bestZ {
				bestZ = z
				best = Stump{Feature: j, Split: sp, Left: 0.5 * math.Log((lp+boostEps)/(ln+boostEps)), Right: 0.5 * math.Log((rp+boostEps)/(rn+boostEps))}
			}
		}
	}
	return best, bestZ
}

func fitBoosted(xs [][]float64, ys []bool, rounds, depth int) Boosted {
	n := len(xs)
	if n == 0 {
		return Boosted{}
	}
	d := len(xs[0])
	b := &booster{ys: ys}
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
		b.splits = append(b.splits, cand)
		bj := make([]uint8, n)
		for i, x := range xs {
			bj[i] = uint8(sort.SearchFloat64s(cand, x[j]))
		}
		b.bins = append(b.bins, bj)
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	var m Boosted
	left := make([]bool, n)
	right := make([]bool, n)
	for r := 0; r < rounds; r++ {
		root, _ := b.best(w, nil)
		round := []Stump{root}
		if depth > 1 {
			for i, x := range xs {
				left[i] = x[root.Feature] <= root.Split
				right[i] = !left[i]
			}
			l, _ := b.best(w, left)
			rt, _ := b.best(w, right)
			l.Gated, l.GateFeature, l.GateSplit = true, root.Feature, root.Split
			rt.Gated, rt.GateFeature, rt.GateSplit, rt.GateAbove = true, root.Feature, root.Split, true
			round = []Stump{l, rt}
		}
		sum := 0.0
		for k := range round {
			// Shrink each step a little, so no single stump decides alone.
			round[k].Left *= 0.5
			round[k].Right *= 0.5
		}
		m.Stumps = append(m.Stumps, round...)
		for i, x := range xs {
			h := 0.0
			for _, s := range round {
				if s.Gated && (x[s.GateFeature] > s.GateSplit) != s.GateAbove {
					continue
				}
				if x[s.Feature] <= s.Split {
					h += s.Left
				} else {
					h += s.Right
				}
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
