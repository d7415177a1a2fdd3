package coverscene

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/models/mud"
)

// skipEmulated skips a compute-heavy test under an emulator ($SITEGATE_TEST_EXEC).
func skipEmulated(t *testing.T) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: run natively, not under an emulator")
	}
}

func TestRenderIsAFunctionOfItsSeed(t *testing.T) {
	for _, g := range []Gate{ReferenceGate(Above), RandomGate(4)} {
		for _, l := range Labels {
			s := specFor(7, l)
			a, la := Render(g, s, 42, 160, 90)
			b, lb := Render(g, s, 42, 160, 90)
			if string(a.Pix) != string(b.Pix) {
				t.Errorf("%s %s: two renders of seed 42 differ", g.Name(), l)
			}
			if la.Label != lb.Label || la.Gate != lb.Gate || la.Label != l {
				t.Errorf("%s %s: labels %+v and %+v", g.Name(), l, la, lb)
			}
			c, _ := Render(g, s, 43, 160, 90)
			if string(a.Pix) == string(c.Pix) {
				t.Errorf("%s %s: seeds 42 and 43 draw the same picture", g.Name(), l)
			}
		}
	}
	if RandomGate(5).String() != RandomGate(5).String() || RandomGate(5).String() == RandomGate(7).String() {
		t.Error("RandomGate is not a function of its seed")
	}
	a, b := SetOptions{Seed: 3, PerCell: 2}.Items(), SetOptions{Seed: 3, PerCell: 2}.Items()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("item %d: %+v and %+v", i, a[i], b[i])
		}
	}
	if c := (SetOptions{Seed: 4, PerCell: 2}).Items(); c[0].Seed == a[0].Seed {
		t.Error("sets of seeds 3 and 4 share a picture seed")
	}
}

func TestGates(t *testing.T) {
	fit, eval := FitGates(6), EvalGates(6)
	views := map[string]int{}
	names := map[string]bool{}
	for _, g := range append(fit, eval...) {
		views[g.View]++
		if names[g.Name()] {
			t.Errorf("two gates named %s", g.Name())
		}
		names[g.Name()] = true
	}
	if views[Above] != 6 || views[Side] != 6 {
		t.Errorf("views %v, want 6 of each", views)
	}
	if fit[0].Seed != 1 || eval[0].Seed != 2001 {
		t.Errorf("fit gates from seed %d, eval from %d", fit[0].Seed, eval[0].Seed)
	}
}

// inPoly reports whether (x, y) is inside the polygon (even-odd).
func inPoly(p [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i][1] > y) != (p[j][1] > y) && x < (p[j][0]-p[i][0])*(y-p[i][1])/(p[j][1]-p[i][1])+p[i][0] {
			in = !in
		}
	}
	return in
}

func TestRegionsAreInsideTheFrameAndOverTheBed(t *testing.T) {
	skipEmulated(t)
	gates := append([]Gate{ReferenceGate(Above), ReferenceGate(Side)}, FitGates(10)...)
	gates = append(gates, EvalGates(6)...)
	const W, H = 320, 180
	bedKinds := map[uint8]bool{kLoad: true, kFloor: true, kTarp: true, kNet: true, kLid: true, kRoll: true, kWall: true}
	for _, g := range gates {
		rs := g.Regions()
		if len(rs) == 0 || rs[0].Name != "bed" {
			t.Errorf("%s: regions %v, want bed first", g.Name(), rs)
			continue
		}
		if g.View == Side && (len(rs) != 2 || rs[1].Name != "above-bed") {
			t.Errorf("%s: side view regions %v, want bed and above-bed", g.Name(), rs)
		}
		if _, err := mud.RegionsFrom([]string{rs[0].Name}, [][][]float64{toSlices(rs[0].Polygon)}); err != nil {
			t.Errorf("%s: %v", g.Name(), err)
		}
		for _, r := range rs {
			for _, p := range r.Polygon {
				if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
					t.Errorf("%s %s: point %v outside the frame", g.Name(), r.Name, p)
				}
			}
		}
		// Over an open bed at the stop mark, the bed region sees the bed.
		s := specFor(g.Seed, Open)
		s.Truck, s.Person = "tipper", false
		_, _, kinds := render(g, s, 1, W, H, false)
		in, bed := 0, 0
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				if inPoly(rs[0].Polygon, (float64(x)+0.5)/W, (float64(y)+0.5)/H) {
					in++
					if bedKinds[kinds[y*W+x]] {
						bed++
					}
				}
			}
		}
		if in < 50 {
			t.Errorf("%s: the bed region covers %d pixels of %dx%d", g.Name(), in, W, H)
			continue
		}
		if f := float64(bed) / float64(in); f < 0.9 {
			t.Errorf("%s: %.2f of the bed region shows the bed, want 0.9 (%s)", g.Name(), f, g)
		}
	}
}

func toSlices(p [][2]float64) [][]float64 {
	out := make([][]float64, len(p))
	for i, q := range p {
		out[i] = []float64{q[0], q[1]}
	}
	return out
}

func TestSetIsBalancedPerCell(t *testing.T) {
	skipEmulated(t)
	dir := t.TempDir()
	gates := FitGates(2)
	if err := WriteSet(dir, SetOptions{Seed: 11, PerCell: 1, Gates: gates, Width: 96, Height: 54}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "labels.csv"))
	if strings.Join(rows[0], ",") != "file,label,condition,view,gate,cover,load" {
		t.Fatalf("header %v", rows[0])
	}
	cells := map[[3]string]int{}
	for _, r := range rows[1:] {
		cells[[3]string{r[4], r[2], r[1]}]++
		if _, err := os.Stat(filepath.Join(dir, r[0])); err != nil {
			t.Error(err)
		}
		switch {
		case r[1] == Covered && r[5] == "":
			t.Errorf("%s: covered without a cover", r[0])
		case r[1] == Open && r[5] != "":
			t.Errorf("%s: open under cover %s", r[0], r[5])
		case r[1] == Torn && r[5] == "":
			t.Errorf("%s: torn without a cover", r[0])
		case r[5] != "empty" && r[5] != "box" && r[6] == "":
			t.Errorf("%s: no load", r[0])
		}
	}
	if want := len(gates) * len(Conditions) * len(Labels); len(cells) != want || len(rows)-1 != want {
		t.Errorf("%d cells, %d rows, want %d of each", len(cells), len(rows)-1, want)
	}
	for c, n := range cells {
		if n != 1 {
			t.Errorf("cell %v has %d pictures, want 1", c, n)
		}
	}
	for gi, g := range gates {
		gd := filepath.Join(dir, "gate-0"+string(rune('0'+gi)))
		y, err := os.ReadFile(filepath.Join(gd, "camera.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(y), "id: bed") || !strings.Contains(string(y), "- name: bed") {
			t.Errorf("%s camera.yaml:\n%s", g.Name(), y)
		}
		per := readCSV(t, filepath.Join(gd, "labels.csv"))
		if len(per)-1 != len(Conditions)*len(Labels) {
			t.Errorf("%s: %d rows in its labels.csv", g.Name(), len(per)-1)
		}
		if _, err := os.Stat(filepath.Join(gd, per[1][0])); err != nil {
			t.Error(err)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestEveryKindIsDrawn checks that what a label says is what the picture shows: the kinds of
// surface the bed region sees.
func TestEveryKindIsDrawn(t *testing.T) {
	skipEmulated(t)
	const W, H = 320, 180
	coverKinds := map[string]uint8{"net-green": kNet, "lid": kLid, "box": kBox, "empty": kFloor}
	seen := map[string]bool{}
	for i := 0; i < 60; i++ {
		g := ReferenceGate([]string{Above, Side}[i%2])
		l := Labels[i%4]
		s := specFor(int64(100+i), l)
		s.Person = false
		_, _, kinds := render(g, s, int64(i), W, H, false)
		bed := g.Regions()[0].Polygon
		count := map[uint8]int{}
		n := 0
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				if inPoly(bed, (float64(x)+0.5)/W, (float64(y)+0.5)/H) {
					count[kinds[y*W+x]]++
					n++
				}
			}
		}
		share := func(k ...uint8) float64 {
			c := 0
			for _, x := range k {
				c += count[x]
			}
			return float64(c) / float64(n)
		}
		load := share(kLoad)
		switch {
		case l == Open:
			// From the side, the near side board hides part of a load below its top.
			want := 0.8
			if g.View == Side {
				want = 0.4
			}
			cover := share(kTarp, kNet, kRoll)
			if !s.LidOpen {
				cover += share(kLid) // (an open lid's panels lie along the sides)
			}
			if load < want || cover > 0.02 {
				t.Errorf("%s open %v: the load is %.2f of the bed", g.Name(), s, load)
			}
		case l == Torn:
			if load < 0.08 || share(kTarp, kNet, kLid, kRoll) < 0.2 {
				t.Errorf("%s torn %v: load %.2f, cover %.2f of the bed", g.Name(), s, load, share(kTarp, kNet, kLid, kRoll))
			}
		case l == Covered:
			k, ok := coverKinds[s.Cover]
			if !ok {
				k = kTarp
			}
			if share(k) < 0.8 {
				t.Errorf("%s covered %v: the cover is %.2f of the bed", g.Name(), s, share(k))
			}
		case l == Heaped:
			w := buildWorld(g, s, rand.New(rand.NewPCG(uint64(i), 0xc07e5ce)))
			top, peak := w.d.top(), 0.0
			for j, k := range w.k {
				if k == kLoad {
					peak = math.Max(peak, float64(w.load[j]))
				}
				if k == kTarp || k == kNet {
					peak = math.Max(peak, float64(w.load[j]))
				}
			}
			if peak-top < 0.25 {
				t.Errorf("%s heaped %v: the load stands %.2f m above the sides", g.Name(), s, peak-top)
			}
		}
		seen[l+" "+s.Cover] = true
	}
	for _, want := range []string{"open ", "covered net-green", "heaped "} {
		if !seen[want] {
			t.Errorf("no %q drawn in 60 pictures: %v", want, seen)
		}
	}
}

func TestConditionsLookDifferent(t *testing.T) {
	g := ReferenceGate(Side)
	s := specFor(1, Covered)
	means := map[string]float64{}
	for _, c := range Conditions {
		s.Condition = c
		img, lab := Render(g, s, 5, 160, 90)
		if lab.Condition != c {
			t.Errorf("condition %s labelled %s", c, lab.Condition)
		}
		grey := true
		sum := 0.0
		for i := 0; i < len(img.Pix); i += 4 {
			r, gg, b := img.Pix[i], img.Pix[i+1], img.Pix[i+2]
			grey = grey && r == gg && gg == b
			sum += float64(r) + float64(gg) + float64(b)
		}
		if (c == "night-ir") != grey {
			t.Errorf("%s: grey %v", c, grey)
		}
		means[c] = sum / float64(len(img.Pix)/4*3)
	}
	if means["dusk"] >= means["day"] {
		t.Errorf("dusk (mean %.0f) is not darker than day (%.0f)", means["dusk"], means["day"])
	}
}

func TestRandomSpecDrawsEveryKind(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		l := Labels[i%4]
		s := RandomSpec(rng, l)
		seen["cover "+s.Cover] = true
		seen["load "+s.Load] = true
		seen["truck "+s.Truck] = true
		seen["torn "+s.Torn] = true
		switch {
		case s.Cover == "lid" && s.Truck != "sealed":
			t.Errorf("%v: a lid on a %s", s, s.Truck)
		case s.Cover == "box" && (s.Truck != "box" || l != Covered):
			t.Errorf("%v: a box body", s)
		case s.Truck == "box" && s.Cover != "box":
			t.Errorf("%v: a box truck", s)
		case l == Heaped && (s.Heap < 0.3 || s.Cover == "lid"):
			t.Errorf("%v: heap %.2f", s, s.Heap)
		case l == Torn && (s.Exposed < 0.1 || s.Torn == ""):
			t.Errorf("%v: exposed %.2f", s, s.Exposed)
		}
	}
	for _, c := range Covers {
		if !seen["cover "+c] {
			t.Errorf("cover %s never drawn", c)
		}
	}
	for _, x := range append(append([]string{}, Loads...), "") {
		if !seen["load "+x] {
			t.Errorf("load %q never drawn", x)
		}
	}
	for _, x := range append(Trucks, TornHalf, TornTear, TornFlap, TornLid) {
		if !seen["truck "+x] && !seen["torn "+x] {
			t.Errorf("%s never drawn", x)
		}
	}
}

func BenchmarkRender640(b *testing.B) {
	for _, view := range []string{Above, Side} {
		b.Run(view, func(b *testing.B) {
			g := ReferenceGate(view)
			for i := 0; i < b.N; i++ {
				Render(g, specFor(int64(i), Labels[i%4]), int64(i), 640, 360)
			}
		})
	}
}
