package mudlearn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// badGate is a gate whose camera reads clean wheels at about 0.6: the shipped rule (0.5) calls
// every truck muddy.
func badGate(rng *rand.Rand, n int) []Frame {
	out := make([]Frame, n)
	for i := range out {
		muddy := i%2 == 0
		w := 0.6 + rng.NormFloat64()*0.05
		if muddy {
			w = 0.85 + rng.NormFloat64()*0.05
		}
		out[i] = Frame{PassageID: fmt.Sprintf("p%d-%d", n, i), Scores: []float64{min(0.999, max(0.001, w)), rng.Float64() * 0.4}, Muddy: muddy}
	}
	return out
}

func TestFitAdoptsOnlyABetterModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	frames := badGate(rng, 40)
	r, err := Fit("classic", []string{"wheels", "lower-body"}, frames, Rule{Threshold: 0.5}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Adopt || r.F1After <= r.F1Before {
		t.Fatalf("fit %+v", r)
	}
	// Against itself it is no better: not adopted.
	again, err := Fit("classic", []string{"wheels", "lower-body"}, frames, Rule{Head: &r.Head}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Adopt || again.Why == "" {
		t.Fatalf("refit against itself adopted: %+v", again)
	}
	if _, err := Fit("classic", []string{"wheels", "lower-body"}, frames[:6], Rule{Threshold: 0.5}, Options{}); !errors.Is(err, ErrTooFew) {
		t.Fatalf("6 frames: %v", err)
	}
}

func TestVersions(t *testing.T) {
	v := Open(t.TempDir(), "wheels")
	if m, err := v.Current(); err != nil || m != nil {
		t.Fatalf("a new camera: %v, %v", m, err)
	}
	if _, err := v.Rollback(); !errors.Is(err, ErrNothingToRollBack) {
		t.Fatalf("rollback of the shipped model: %v", err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	r, err := Fit("classic", []string{"wheels", "lower-body"}, badGate(rng, 40), Rule{Threshold: 0.5}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		m, err := v.Adopt(Model{FittedAt: time.Now(), Head: r.Head})
		if err != nil || m.Version != want {
			t.Fatalf("adopt: %+v, %v", m, err)
		}
	}
	if m, _ := v.Current(); m == nil || m.Version != 2 || Name("classic", "wheels", m.Version) != "classic/wheels-v2" {
		t.Fatalf("current %+v", m)
	}
	if n, err := v.Rollback(); err != nil || n != 1 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if n, err := v.Rollback(); err != nil || n != 0 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if m, _ := v.Current(); m != nil {
		t.Fatalf("after two rollbacks %+v", m)
	}
	// A new fit after rollbacks takes a fresh number.
	if m, _ := v.Adopt(Model{Head: r.Head}); m.Version != 3 {
		t.Fatalf("version %d after rollbacks", m.Version)
	}
	if Name("onnx", "wheels", 0) != "onnx/shipped" {
		t.Error(Name("onnx", "wheels", 0))
	}
}
