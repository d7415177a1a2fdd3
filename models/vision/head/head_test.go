package head

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// gate draws region scores of a gate where the shipped scorer reads clean wheels high: clean
// trucks' wheels score about 0.6, muddy ones' about 0.85, and the lower body says little.
func gate(rng *rand.Rand, n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		muddy := i%2 == 0
		w := 0.6 + rng.NormFloat64()*0.06
		if muddy {
			w = 0.85 + rng.NormFloat64()*0.06
		}
		out[i] = Sample{Scores: []float64{min(0.999, max(0.001, w)), rng.Float64()}, Positive: muddy}
	}
	return out
}

func TestFitLearnsTheGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	train, test := gate(rng, 40), gate(rng, 200)
	h, err := Fit("classic", []string{"wheels", "lower-body"}, train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	// The shipped rule: the highest region score against 0.5.
	var before, after []Scored
	for _, s := range test {
		before = append(before, Scored{Score: max(s.Scores[0], s.Scores[1]), Positive: s.Positive})
		after = append(after, Scored{Score: h.Score(s.Scores), Positive: s.Positive})
	}
	fb, fa := F1(before, 0.5), F1(after, h.Threshold)
	t.Logf("held-out F1 %.3f shipped, %.3f fitted (threshold %.3f, weights %.2f, bias %.2f)", fb, fa, h.Threshold, h.Weights, h.Bias)
	if fa < 0.9 || fa <= fb {
		t.Errorf("fitted F1 %.3f, shipped %.3f", fa, fb)
	}
	if h.Weights[0] <= 0 || h.Weights[0] < 3*abs(h.Weights[1]) {
		t.Errorf("weights %v: the wheels should carry the verdict", h.Weights)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestFitRefuses(t *testing.T) {
	one := []Sample{{Scores: []float64{0.2}}, {Scores: []float64{0.3}}}
	if _, err := Fit("classic", []string{"wheels"}, one, Options{}); err != ErrOneClass {
		t.Errorf("one class: %v", err)
	}
	bad := []Sample{{Scores: []float64{0.2, 0.1}, Positive: true}, {Scores: []float64{0.3}}}
	if _, err := Fit("classic", []string{"wheels"}, bad, Options{}); err == nil {
		t.Error("a sample with the wrong number of scores was taken")
	}
}

var parseCases = []struct {
	name, in, err string
}{
	{"good", `{"schema":"sitegate.head/v1","scorer":"classic","regions":["wheels"],"weights":[1.5],"bias":-0.2,"threshold":0.6}`, ""},
	{"schema", `{"schema":"x","scorer":"classic","regions":["wheels"],"weights":[1.5],"threshold":0.6}`, "schema"},
	{"weights", `{"schema":"sitegate.head/v1","regions":["wheels","b"],"weights":[1.5],"threshold":0.6}`, "weights: 1 for 2"},
	{"threshold", `{"schema":"sitegate.head/v1","regions":["wheels"],"weights":[1.5],"threshold":1}`, "threshold"},
	{"huge", `{"schema":"sitegate.head/v1","regions":["wheels"],"weights":[1e9],"threshold":0.5}`, "out of range"},
	{"not json", `{`, "head:"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		_, err := Parse([]byte(tc.in))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err == nil {
			if h.Check() != nil {
				t.Fatal("parsed head does not check")
			}
			_ = h.Score([]float64{0.5, 0.5})
		}
	})
}
