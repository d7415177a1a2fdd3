package cover

import (
	"math"

	"sitegate/models/mud"
)

// Model is the classic cover scorer's fitted weights: boosted trees for the probability that a
// region's load is not properly covered, and one-vs-rest trees for the kind of failure, over
// the frame's kind features (KindFeatures).
type Model struct {
	// Cover scores a region's feature vector (Features): P(not covered).
	Cover mud.Boosted
	// Kinds score the frame's kind features, one model per kind in KindOrder.
	Kinds []mud.Boosted
}

// KindOrder is the order of Model.Kinds.
var KindOrder = []string{Open, Torn, Heaped}

// NumKindFeatures is the length of a frame's kind feature vector: the bed's region features,
// the above-bed band's (zeros without one), and whether there is one.
const NumKindFeatures = 2*NumFeatures + 1

// kindFeatures builds a frame's kind vector from its regions' features and scores: the
// highest-scoring region that is not an above-bed band, and the highest-scoring above-bed band.
func kindFeatures(feats [][]float64, above []bool, scores []float64) []float64 {
	out := make([]float64, NumKindFeatures)
	bi, ai := -1, -1
	for i := range feats {
		if above[i] {
			if ai < 0 || scores[i] > scores[ai] {
				ai = i
			}
		} else if bi < 0 || scores[i] > scores[bi] {
			bi = i
		}
	}
	if bi >= 0 {
		copy(out, feats[bi])
	}
	if ai >= 0 {
		copy(out[NumFeatures:], feats[ai])
		out[2*NumFeatures] = 1
	}
	return out
}

// Kind is the most likely failure kind of kind vector x, by the highest one-vs-rest score;
// Open when the model has no kind models.
func (m Model) Kind(x []float64) string {
	best, kind := -1.0, Open
	for i, k := range m.Kinds {
		if i >= len(KindOrder) {
			break
		}
		if s := k.Score(x); s > best {
			best, kind = s, KindOrder[i]
		}
	}
	return kind
}

// IsAbove reports whether a region is the above-bed band (named "above-bed"), where a heap
// shows above the side boards.
func IsAbove(name string) bool { return name == AboveBed }

// AboveBed is the name of the region just above the side boards, in side views.
const AboveBed = "above-bed"

// Result is the judgement of a frame whose regions have features feats (Features): each
// region's score, the highest as the frame's, and the kind of failure (Covered below 0.5). It
// leaves Quality to the caller.
func (m Model) Result(regions []mud.Region, feats [][]float64) mud.Result {
	var res mud.Result
	scores := make([]float64, len(regions))
	above := make([]bool, len(regions))
	for i, r := range regions {
		scores[i] = m.Cover.Score(feats[i])
		above[i] = IsAbove(r.Name)
		res.Regions = append(res.Regions, mud.RegionScore{Name: r.Name, Score: scores[i]})
		res.Score = math.Max(res.Score, scores[i])
	}
	res.Kind = Covered
	if res.Score >= 0.5 {
		res.Kind = m.Kind(kindFeatures(feats, above, scores))
	}
	return res
}
