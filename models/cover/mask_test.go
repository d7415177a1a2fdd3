package cover

import (
	"testing"

	"sitegate/models/mud"
)

func TestMask(t *testing.T) {
	for _, c := range []struct {
		name string
		pts  [][2]float64
		want int
	}{
		{"whole", [][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, 100},
		{"left half", [][2]float64{{0, 0}, {5, 0}, {5, 10}, {0, 10}}, 50},
		{"triangle", [][2]float64{{0, 0}, {10, 0}, {0, 10}}, 45},
		{"outside", [][2]float64{{20, 20}, {30, 20}, {30, 30}}, 0},
	} {
		n := 0
		for _, in := range mud.InsidePolygon(10, 10, c.pts) {
			if in {
				n++
			}
		}
		if n != c.want {
			t.Errorf("%s: %d pixels inside, want %d", c.name, n, c.want)
		}
	}
}

func TestHueChroma(t *testing.T) {
	for _, c := range []struct {
		name      string
		b, g, r   float64
		hueLo, hi float64
	}{
		{"blue", 200, 60, 30, 220, 240},
		{"green", 50, 160, 40, 100, 130},
		{"orange", 30, 120, 230, 20, 40},
	} {
		h, ch := hueChroma(c.b, c.g, c.r)
		if h < c.hueLo || h > c.hi || ch < 0.5 {
			t.Errorf("%s: hue %.0f chroma %.2f", c.name, h, ch)
		}
	}
	if _, ch := hueChroma(120, 120, 120); ch != 0 {
		t.Errorf("grey has chroma %v", ch)
	}
}

func TestGrayWorld(t *testing.T) {
	// A warm cast (red high, blue low) is balanced back to grey.
	px := make([]uint8, 0, 300)
	for i := 0; i < 100; i++ {
		px = append(px, 80, 100, 130)
	}
	g := grayWorld(px)
	b, gg, r := 80*g[0], 100*g[1], 130*g[2]
	if max(b, gg, r)-min(b, gg, r) > 10 {
		t.Errorf("balanced %v %v %v (gains %v)", b, gg, r, g)
	}
}

func TestFeaturesTooSmall(t *testing.T) {
	p := patch{w: 4, h: 4, bgr: make([]uint8, 48), in: make([]bool, 16)}
	f, sharp := features(p, Gains{1, 1, 1}, false)
	if len(f) != NumFeatures || sharp != 0 {
		t.Fatalf("len %d sharp %v", len(f), sharp)
	}
	for _, v := range f {
		if v != 0 {
			t.Fatal("a patch with no pixels has features")
		}
	}
}
