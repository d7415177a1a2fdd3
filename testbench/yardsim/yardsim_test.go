package yardsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipEmulated skips compute-heavy tests under the arm64 emulator.
func skipEmulated(t *testing.T) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("renders many frames; skipped under emulation")
	}
}

func hashTree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministicPerSeed(t *testing.T) {
	skipEmulated(t)
	cfg := Config{Gates: 2, PerGate: 6, Seed: 42, Width: 160, Height: 90}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := Generate(d, cfg); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Seed = 43
	if _, err := Generate(c, cfg); err != nil {
		t.Fatal(err)
	}
	ha, hb, hc := hashTree(t, a), hashTree(t, b), hashTree(t, c)
	if len(ha) != 2*(6+2) {
		t.Fatalf("wrote %d files, want %d", len(ha), 2*(6+2))
	}
	same := 0
	for k, v := range ha {
		if hb[k] != v {
			t.Errorf("%s differs between two runs with the same seed", k)
		}
		if hc[k] == v {
			same++
		}
	}
	if same > 2 {
		t.Errorf("%d files identical between seeds 42 and 43", same)
	}
}

func TestBalancedLabelsAndConditions(t *testing.T) {
	skipEmulated(t)
	dir := t.TempDir()
	if _, err := Generate(dir, Config{Gates: 2, PerGate: 31, Seed: 7, Width: 96, Height: 64}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"gate-00", "gate-01"} {
		f, err := os.ReadFile(filepath.Join(dir, g, "labels.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "file,label,condition" {
			t.Fatalf("%s header %v", g, rows[0])
		}
		counts := map[string]int{}
		for _, r := range rows[1:] {
			counts[r[1]]++
			muddyCond := r[2] == "light-mud" || r[2] == "heavy-mud"
			if (r[1] == "muddy") != muddyCond {
				t.Errorf("%s %s: label %s with condition %s", g, r[0], r[1], r[2])
			}
			if _, err := os.Stat(filepath.Join(dir, g, r[0])); err != nil {
				t.Errorf("%s: %v", g, err)
			}
		}
		if counts["muddy"] != 15 || counts["clean"] != 16 {
			t.Errorf("%s: %v, want 15 muddy and 16 clean", g, counts)
		}
	}
}

func TestLabelsBalancedAnySize(t *testing.T) {
	for _, n := range []int{2, 3, 10, 101} {
		for gi := 0; gi < 5; gi++ {
			m := 0
			for _, l := range NewGate(9, gi).Labels(n) {
				if l {
					m++
				}
			}
			if m != n/2 {
				t.Errorf("gate %d, %d frames: %d muddy, want %d", gi, n, m, n/2)
			}
		}
	}
}

// The regions lie inside the frame, are not degenerate, and the wheel band lies below the
// lower-body band, for many gates.
func TestRegionsInsideFrame(t *testing.T) {
	for gi := 0; gi < 300; gi++ {
		g := NewGate(uint64(gi/30), gi)
		rois := g.ROIs(640, 360)
		if len(rois) != 2 || rois[0].Name != "wheels" || rois[1].Name != "lower-body" {
			t.Fatalf("gate %d: rois %v", gi, rois)
		}
		var meanY [2]float64
		for k, r := range rois {
			if len(r.Polygon) < 3 {
				t.Fatalf("gate %d %s: %d points", gi, r.Name, len(r.Polygon))
			}
			area := 0.0
			for i, p := range r.Polygon {
				if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
					t.Errorf("gate %d %s: point %v outside the frame", gi, r.Name, p)
				}
				q := r.Polygon[(i+1)%len(r.Polygon)]
				area += p[0]*q[1] - q[0]*p[1]
				meanY[k] += p[1] / float64(len(r.Polygon))
			}
			if area < 0 {
				area = -area
			}
			if area/2 < 0.01 {
				t.Errorf("gate %d %s: area %.4f of the frame", gi, r.Name, area/2)
			}
		}
		if meanY[0] <= meanY[1] {
			t.Errorf("gate %d: wheel band (mean y %.3f) not below the lower-body band (%.3f)", gi, meanY[0], meanY[1])
		}
	}
}

// A muddy frame differs from the clean frame of the same scene inside the wheel band: the
// generator really draws mud where the regions are.
func TestMudLandsInTheWheelBand(t *testing.T) {
	skipEmulated(t)
	w, h := 320, 180
	hits := 0
	for gi := 0; gi < 6; gi++ {
		g := NewGate(3, gi)
		s, _ := g.newScene(0, true, w, h)
		if s.mud.level < 0.6 {
			continue
		}
		clean := *s
		clean.mud = mudSpec{}
		diff := 0
		poly := g.ROIs(w, h)[0].Polygon
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if !inPoly(poly, (float64(x)+0.5)/float64(w), (float64(y)+0.5)/float64(h)) {
					continue
				}
				d := s.cam.ray(float64(x)+0.5, float64(y)+0.5)
				a, b := s.trace(d), clean.trace(d)
				if abs(a.r-b.r)+abs(a.g-b.g)+abs(a.b-b.b) > 0.05 {
					diff++
				}
			}
		}
		if diff > 50 {
			hits++
		} else {
			t.Logf("gate %d: %d mud pixels in the wheel band", gi, diff)
		}
	}
	if hits == 0 {
		t.Fatal("no heavy-mud frame changed the wheel band")
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func inPoly(p [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i][1] > y) != (p[j][1] > y) && x < (p[j][0]-p[i][0])*(y-p[i][1])/(p[j][1]-p[i][1])+p[i][0] {
			in = !in
		}
	}
	return in
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Gates: 0, PerGate: 10, Width: 640, Height: 360},
		{Gates: 1, PerGate: 1, Width: 640, Height: 360},
		{Gates: 1, PerGate: 10, Width: 10, Height: 360},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v: accepted", c)
		}
		if _, err := Generate(t.TempDir(), c); err == nil {
			t.Errorf("%+v: generated", c)
		}
	}
	if err := (Config{Gates: 1, PerGate: 2, Width: 64, Height: 48}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestRegionMuddy(t *testing.T) {
	for _, c := range []struct {
		region, cond string
		want         bool
	}{
		{"wheels", "light-mud", true},
		{"wheels", "heavy-mud", true},
		{"wheels", "wet-clean", false},
		{"lower-body", "light-mud", false},
		{"lower-body", "heavy-mud", false},
		{"lower-body", "road-mud", false},
	} {
		if got := RegionMuddy(c.region, c.cond); got != c.want {
			t.Errorf("RegionMuddy(%s, %s) = %v", c.region, c.cond, got)
		}
	}
}

func TestRenderJPEGDecodes(t *testing.T) {
	skipEmulated(t)
	g := NewGate(5, 0)
	b, cond, err := g.RenderJPEG(3, true, 128, 72)
	if err != nil {
		t.Fatal(err)
	}
	if cond != "light-mud" && cond != "heavy-mud" {
		t.Errorf("muddy frame has condition %q", cond)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 128 || r.Dy() != 72 {
		t.Errorf("decoded %v, want 128x72", r)
	}
}
