package quality

import (
	"math/rand/v2"
	"testing"
)

// textured is a w×h frame of random texture around mid grey.
func textured(w, h int, seed uint64) Grey {
	rng := rand.New(rand.NewPCG(seed, 1))
	g := Grey{Pix: make([]uint8, w*h), W: w, H: h}
	for i := range g.Pix {
		g.Pix[i] = uint8(40 + rng.IntN(170))
	}
	return g
}

func flat(w, h int, v uint8) Grey {
	g := Grey{Pix: make([]uint8, w*h), W: w, H: h}
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func TestAssess(t *testing.T) {
	boxes := []Box{{0.05, 0.5, 0.95, 0.9}}
	cases := []struct {
		name string
		g    Grey
		want Reason
	}{
		{"textured", textured(160, 90, 1), Fine},
		{"black", flat(160, 90, 0), TooDark},
		{"white", flat(160, 90, 255), Overexposed},
		{"grey", flat(160, 90, 128), NoContrast},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if v := Assess(tc.g, boxes, nil, Limits{}); v.Reason != tc.want {
				t.Errorf("reason %q, want %q (%v)", v.Reason, tc.want, v.Measures)
			}
		})
	}
	if got := TooDark.Message(); got != "camera cannot see: too dark" {
		t.Errorf("Message() = %q", got)
	}
	if Fine.Message() != "" {
		t.Error("Fine has a message")
	}
}

func TestReference(t *testing.T) {
	boxes := []Box{{0, 0.5, 1, 1}}
	empty := textured(160, 90, 3)
	var ref Reference
	if ref.Learned() {
		t.Fatal("a new reference has learned")
	}
	ref.Learn(empty, boxes)
	if v := Assess(empty, boxes, &ref, Limits{}); v.Reason != NoVehicle || v.Measures.Change != 0 {
		t.Errorf("the empty lane itself: %q (%v)", v.Reason, v.Measures)
	}
	// A truck: the lower half a different texture.
	truck := textured(160, 90, 4)
	for i := range truck.Pix {
		truck.Pix[i] /= 3
	}
	if v := Assess(truck, boxes, &ref, Limits{}); v.Reason != Fine {
		t.Errorf("a truck: %q (%v)", v.Reason, v.Measures)
	}
	// Other regions: the reference does not apply, presence is not judged.
	if v := Assess(empty, []Box{{0, 0, 1, 0.5}}, &ref, Limits{}); v.Measures.Change != -1 || v.Reason != Fine {
		t.Errorf("other regions: %q (%v)", v.Reason, v.Measures)
	}
	ref.Reset()
	if ref.Learned() {
		t.Error("Reset kept the reference")
	}
}
