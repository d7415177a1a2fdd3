package mud

import (
	"image"
	"math"
	"strings"
	"testing"

	"sitegate/models"
)

func TestConfusion(t *testing.T) {
	cases := []struct {
		name     string
		c        Confusion
		p, r, f1 float64
		accuracy float64
	}{
		{"perfect", Confusion{TP: 5, TN: 5}, 1, 1, 1, 1},
		{"empty", Confusion{}, 0, 0, 0, 0},
		{"mixed", Confusion{TP: 8, FP: 2, TN: 6, FN: 4}, 0.8, 8.0 / 12, 16.0 / 22, 14.0 / 20},
		{"never positive", Confusion{TN: 3, FN: 2}, 0, 0, 0, 0.6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []struct {
				what      string
				got, want float64
			}{{"precision", tc.c.Precision(), tc.p}, {"recall", tc.c.Recall(), tc.r}, {"f1", tc.c.F1(), tc.f1}, {"accuracy", tc.c.Accuracy(), tc.accuracy}} {
				if math.Abs(v.got-v.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", v.what, v.got, v.want)
				}
			}
		})
	}
}

func TestBestThreshold(t *testing.T) {
	cases := []struct {
		name    string
		samples []Sample
		wantLo  float64 // the threshold must lie in (wantLo, wantHi]
		wantHi  float64
		wantF1  float64
	}{
		{"separable", []Sample{{0.1, false}, {0.2, false}, {0.7, true}, {0.9, true}}, 0.2, 0.7, 1},
		{"overlap", []Sample{{0.1, false}, {0.6, false}, {0.5, true}, {0.9, true}}, 0.1, 0.5, 0.8},
		{"all muddy", []Sample{{0.3, true}, {0.4, true}}, 0, 0.3, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th, c := BestThreshold(tc.samples)
			if th <= tc.wantLo || th > tc.wantHi {
				t.Errorf("threshold %v, want in (%v, %v]", th, tc.wantLo, tc.wantHi)
			}
			if math.Abs(c.F1()-tc.wantF1) > 1e-9 {
				t.Errorf("F1 %v, want %v", c.F1(), tc.wantF1)
			}
			if got := Evaluate(tc.samples, th); got != c {
				t.Errorf("Evaluate at the threshold = %+v, BestThreshold said %+v", got, c)
			}
		})
	}
	// The widest gap wins among equal F1: midway between 0.2 and 0.7.
	if th, _ := BestThreshold([]Sample{{0.1, false}, {0.2, false}, {0.7, true}, {0.75, true}}); math.Abs(th-0.45) > 1e-9 {
		t.Errorf("threshold %v, want 0.45", th)
	}
}

func TestVerdict(t *testing.T) {
	cases := []struct {
		score, threshold float64
		want             models.Verdict
	}{{0.49, 0.5, models.OK}, {0.5, 0.5, models.Alarm}, {0.9, 0.5, models.Alarm}, {0, 0, models.Alarm}}
	for _, tc := range cases {
		if got := Verdict(tc.score, tc.threshold); got != tc.want {
			t.Errorf("Verdict(%v, %v) = %s, want %s", tc.score, tc.threshold, got, tc.want)
		}
	}
}

func TestRegions(t *testing.T) {
	rs, err := RegionsFrom([]string{"wheels"}, [][][]float64{{{0.1, 0.5}, {0.9, 0.5}, {0.9, 1}, {0.1, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if b := rs[0].Bounds(1000, 100); b != image.Rect(100, 50, 900, 100) {
		t.Errorf("bounds %v", b)
	}
	bad := []struct {
		name  string
		polys [][][]float64
		want  string
	}{
		{"two points", [][][]float64{{{0, 0}, {1, 1}}}, "at least 3"},
		{"outside", [][][]float64{{{0, 0}, {1.5, 0}, {1, 1}}}, "outside"},
		{"short point", [][][]float64{{{0}, {1, 0}, {1, 1}}}, "[x, y]"},
	}
	for _, tc := range bad {
		if _, err := RegionsFrom([]string{"r"}, tc.polys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// A degenerate polygon has no bounds, rather than a zero-width crop.
	line := Region{Name: "line", Polygon: [][2]float64{{0.5, 0}, {0.5, 0.5}, {0.5, 1}}}
	if b := line.Bounds(640, 360); !b.Empty() {
		t.Errorf("degenerate bounds %v", b)
	}
}

func TestInsidePolygon(t *testing.T) {
	in := insidePolygon(4, 4, [][2]float64{{0, 0}, {4, 0}, {0, 4}})
	// A pixel is inside when its centre is: x+0.5 + y+0.5 < 4.
	want := "1110" + "1100" + "1000" + "0000"
	var got strings.Builder
	for _, v := range in {
		got.WriteString(map[bool]string{true: "1", false: "0"}[v])
	}
	if got.String() != want {
		t.Errorf("mask %s, want %s", got.String(), want)
	}
}

func TestFitters(t *testing.T) {
	// One informative feature, one noise feature.
	var xs [][]float64
	var ys []bool
	for i := 0; i < 200; i++ {
		v := float64(i%100) / 100
		xs = append(xs, []float64{v, float64((i*37)%11) / 11})
		ys = append(ys, v > 0.5)
	}
	boost := FitBoosted(xs, ys, 20)
	trees := FitBoostedTrees(xs, ys, 10)
	for _, m := range []struct {
		name  string
		score func([]float64) float64
	}{{"boosted", boost.Score}, {"trees", trees.Score}} {
		var c Confusion
		for i, x := range xs {
			c.Add(m.score(x) >= 0.5, ys[i])
		}
		if c.Accuracy() < 0.95 {
			t.Errorf("%s accuracy %.3f on a separable problem", m.name, c.Accuracy())
		}
	}
	if s := (Boosted{Stumps: []Stump{{Feature: 5}}}).Score([]float64{1}); s != 0 {
		t.Errorf("a stump on a missing feature scored %v", s)
	}
}
