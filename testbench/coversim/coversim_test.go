package coversim

import (
	"bytes"
	"encoding/csv"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// skipEmulated skips compute-heavy tests under the arm64 emulator.
func skipEmulated(t testing.TB) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("renders many frames: skipped under emulation")
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// tree reads every file under dir, by relative path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	skipEmulated(t)
	o := Options{Seed: 7, Gates: 2, PerGate: 4, Width: 128, Height: 72, Blind: 4}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if err := WriteSet(a, o); err != nil {
		t.Fatal(err)
	}
	o1 := o
	o1.Workers = 1 // another order of rendering
	if err := WriteSet(b, o1); err != nil {
		t.Fatal(err)
	}
	o2 := o
	o2.Seed = 8
	if err := WriteSet(c, o2); err != nil {
		t.Fatal(err)
	}
	ta, tb, tc := tree(t, a), tree(t, b), tree(t, c)
	if len(ta) != 2*(4+3)+4+1 {
		t.Fatalf("wrote %d files, want %d: %v", len(ta), 2*(4+3)+4+1, slices.Sorted(func(yield func(string) bool) {
			for k := range ta {
				if !yield(k) {
					return
				}
			}
		}))
	}
	for k, v := range ta {
		if !bytes.Equal(v, tb[k]) {
			t.Errorf("%s differs between two runs of seed 7", k)
		}
	}
	same := 0
	for k, v := range ta {
		if strings.HasSuffix(k, ".jpg") && bytes.Equal(v, tc[k]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d frames identical between seeds 7 and 8", same)
	}
}

func TestBalancedLabels(t *testing.T) {
	skipEmulated(t)
	dir := t.TempDir()
	per := 2 * len(AllLabels) * len(Conditions) / 2 // 32: every label under every condition once... per gate pair
	if err := WriteSet(dir, Options{Seed: 3, Gates: 2, PerGate: per, Width: 64, Height: 36, Blind: 12}); err != nil {
		t.Fatal(err)
	}
	cells := map[[2]string]int{}
	for gi, name := range []string{"gate-01", "gate-02"} {
		rows := readCSV(t, filepath.Join(dir, name, "labels.csv"))
		if !slices.Equal(rows[0], Header) || strings.Join(Header, ",") != "file,label,condition,view,gate,cover,load" {
			t.Fatalf("%s header %v", name, rows[0])
		}
		if len(rows) != per+1 {
			t.Fatalf("%s: %d rows, want %d", name, len(rows)-1, per)
		}
		count := map[string]int{}
		wantView := []string{Above, Side}[gi]
		for _, r := range rows[1:] {
			count[r[1]]++
			cells[[2]string{r[1], r[2]}]++
			if r[3] != wantView || r[4] != name {
				t.Errorf("%s: row %v: want view %s gate %s", name, r, wantView, name)
			}
			if _, err := os.Stat(filepath.Join(dir, name, r[0])); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if r[1] == Covered && r[5] == "" {
				t.Errorf("%s: covered frame %s names no cover", name, r[0])
			}
			if r[1] == Open && r[5] != "" {
				t.Errorf("%s: open frame %s names cover %q", name, r[0], r[5])
			}
			if r[5] == "empty" && (r[1] != Covered || r[6] != "none") {
				t.Errorf("%s: empty bed %v", name, r)
			}
		}
		for _, l := range AllLabels {
			if count[l] != per/len(AllLabels) {
				t.Errorf("%s: %d %s frames, want %d", name, count[l], l, per/len(AllLabels))
			}
		}
		y, err := os.ReadFile(filepath.Join(dir, name, "camera.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(y), "id: bed\ncover:\n  rois:\n    - name: bed\n      polygon: [[") {
			t.Errorf("%s camera.yaml:\n%s", name, y)
		}
		if gi == 1 && !strings.Contains(string(y), "name: above-bed") {
			t.Errorf("side gate without an above-bed region:\n%s", y)
		}
	}
	for _, l := range AllLabels {
		for _, c := range Conditions {
			if cells[[2]string{l, c}] != 2 {
				t.Errorf("%s under %s: %d frames, want 2", l, c, cells[[2]string{l, c}])
			}
		}
	}
	rows := readCSV(t, filepath.Join(dir, "blind", "labels.csv"))
	if !slices.Equal(rows[0], []string{"file", "blind", "reason"}) {
		t.Fatalf("blind header %v", rows[0])
	}
	reasons := map[string]int{}
	for _, r := range rows[1:] {
		reasons[r[2]]++
		if (r[1] == "true") != (r[2] != "ok") {
			t.Errorf("blind row %v", r)
		}
	}
	for _, r := range append(BlindReasons, "ok") {
		if reasons[r] == 0 {
			t.Errorf("no blind frame of reason %s: %v", r, reasons)
		}
	}
}

func TestRegionsInsideFrame(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		g := RandomGate(seed)
		for _, asp := range [][2]int{{16, 9}, {4, 3}} {
			regs := g.RegionsFor(asp[0], asp[1])
			want := 1
			if g.View == Side {
				want = 2
			}
			if len(regs) != want {
				t.Fatalf("seed %d (%s): %d regions", seed, g.View, len(regs))
			}
			for _, r := range regs {
				if len(r.Polygon) < 3 {
					t.Fatalf("seed %d %s: polygon %v", seed, r.Name, r.Polygon)
				}
				for _, p := range r.Polygon {
					if p[0] <= 0.005 || p[0] >= 0.995 || p[1] <= 0.005 || p[1] >= 0.995 {
						t.Errorf("seed %d %s %v: point %v at or past the frame's edge", seed, r.Name, asp, p)
					}
				}
				if a := area(r.Polygon); a < 0.02 {
					t.Errorf("seed %d %s: area %.3f of the frame", seed, r.Name, a)
				}
			}
		}
	}
}

func area(p [][2]float64) float64 {
	s := 0.0
	for i := range p {
		j := (i + 1) % len(p)
		s += p[i][0]*p[j][1] - p[j][0]*p[i][1]
	}
	if s < 0 {
		s = -s
	}
	return s / 2
}

// TestEveryLabelDrawn renders every label in every variant at gates of both views and checks,
// pixel by pixel from what each ray ended on, that the frame shows what its label says.
func TestEveryLabelDrawn(t *testing.T) {
	skipEmulated(t)
	gates := []Gate{RandomGateView(11, Above), RandomGateView(12, Side), RandomGateView(13, Above), RandomGateView(14, Side)}
	for _, label := range AllLabels {
		for _, variant := range Variants[label] {
			for gi, g := range gates {
				rng := rand.New(rand.NewSource(int64(100 + gi)))
				var s Spec
				for k := 0; k < 50; k++ {
					s = RandomSpec(rng, label, "day")
					if s.Variant == variant {
						break
					}
				}
				if s.Variant != variant {
					t.Fatalf("no spec of variant %s", variant)
				}
				s.Width, s.Height = 192, 108
				_, lab, tr := render(g, s, rng, "")
				checkDrawn(t, g, s, lab, tr)
			}
		}
	}
}

func checkDrawn(t *testing.T, g Gate, s Spec, lab Label, tr *truth) {
	t.Helper()
	name := s.Label + "/" + s.Variant + " at " + g.View + " " + lab.Cover + " " + lab.Load
	if lab.Label != s.Label || lab.Gate != g.Name() || lab.View != g.View {
		t.Errorf("%s: label %+v", name, lab)
	}
	if ok, why := shows(s, tr, g.RegionsFor(tr.w, tr.h)[0], 0.7); !ok {
		t.Errorf("%s: %s", name, why)
	}
	switch {
	case s.Label == Heaped && lab.HeapAbove < 0.25:
		t.Errorf("%s: heap only %.2f m above the boards", name, lab.HeapAbove)
	case s.Label != Heaped && lab.HeapAbove > 0:
		t.Errorf("%s: load %.2f m above the boards", name, lab.HeapAbove)
	case s.Cover == "empty" && lab.HeapAbove > -0.5:
		t.Errorf("%s: empty bed's floor only %.2f m below the boards", name, lab.HeapAbove)
	}
}

func BenchmarkRender(b *testing.B) {
	g := RandomGateView(5, Above)
	rng := rand.New(rand.NewSource(1))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s := RandomSpec(rng, AllLabels[i%4], Conditions[i%len(Conditions)])
		Render(g, s, rng)
	}
}
