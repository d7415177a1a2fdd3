//go:build !nocv

package mudlearn

import (
	"fmt"
	"os"
	"testing"

	"sitegate/models/mud"
	"sitegate/testbench/othergate"
	"sitegate/testbench/scene"
)

func sceneRegions() []mud.Region {
	var out []mud.Region
	for _, r := range scene.Regions {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		out = append(out, reg)
	}
	return out
}

// gateFrames scores a scene set drawn at the other gate with the scorer.
func gateFrames(t testing.TB, s mud.Scorer, seed uint64, perCell int) []Frame {
	var out []Frame
	for i, sp := range (scene.SetOptions{Seed: seed, PerCell: perCell}).Specs() {
		c, err := othergate.Frame(sp, 640, 360)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Score(c, sceneRegions())
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		f := Frame{PassageID: fmt.Sprintf("s%d-%d", seed, i), Muddy: sp.Severity != scene.Clean}
		for _, r := range res.Regions {
			f.Scores = append(f.Scores, r.Score)
		}
		out = append(out, f)
	}
	return out
}

// TestLearningCurve: at a gate the shipped classic model judges badly (camera further back,
// white balance off), F1 on 200 held-out frames of that gate against the number of reviews
// learned from (0: the shipped model). SITEGATE_CURVE=onnx runs it for the onnx scorer too.
func TestLearningCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 280 frames")
	}
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("scores 280 frames: about 7 minutes under an emulator; `make test` runs it natively")
	}
	names := []string{mud.Classic}
	if os.Getenv("SITEGATE_CURVE") == "onnx" {
		names = append(names, mud.ONNX)
	}
	for _, name := range names {
		s, err := mud.New(mud.Config{Scorer: name, Model: "../../models/mud/model/mud-cnn.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		test := gateFrames(t, s, 5000, 20)
		pool := gateFrames(t, s, 6000, 8) // 80 reviews, clean and muddy alternating in each condition
		s.Close()
		// Reviews arrive in an order that mixes conditions and labels.
		order := make([]Frame, 0, len(pool))
		for k := 0; k < 16; k++ {
			for c := 0; c < 5; c++ {
				order = append(order, pool[c*16+k])
			}
		}
		shipped := Rule{Threshold: 0.5}
		t.Logf("%s: 0 reviews: held-out F1 %.3f (shipped)", name, shipped.F1(test))
		var f40, f0 = 0.0, shipped.F1(test)
		for _, n := range []int{10, 20, 40, 80} {
			r, err := Fit(name, []string{"wheels", "lower-body"}, order[:n], shipped, Options{})
			if err != nil {
				t.Logf("%s: %d reviews: %v", name, n, err)
				continue
			}
			fitted := Rule{Head: &r.Head}.F1(test)
			inForce := f0
			if r.Adopt {
				inForce = fitted
			}
			if n == 40 {
				f40 = inForce
			}
			t.Logf("%s: %d reviews: cross-validated %.3f vs %.3f in force; adopted %v; held-out F1 fitted %.3f, in force %.3f",
				name, n, r.F1After, r.F1Before, r.Adopt, fitted, inForce)
		}
		if name == mud.Classic && f40 <= f0 {
			t.Errorf("classic: 40 reviews did not raise held-out F1 (%.3f, shipped %.3f)", f40, f0)
		}
	}
}
