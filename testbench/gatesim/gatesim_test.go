package gatesim

import (
	"bufio"
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func small(g Gate) Gate {
	g.Width, g.Height = 320, 180
	return g
}

func pixels(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return out
}

func TestRenderDeterministic(t *testing.T) {
	skipEmulated(t)
	g := small(NamedGates()[0])
	a, la, _ := GateFrame(g, 7, 0, 3)
	b, lb, _ := GateFrame(g, 7, 0, 3)
	if !bytes.Equal(pixels(a), pixels(b)) {
		t.Fatal("the same seed gave two different frames")
	}
	if la.Condition != lb.Condition || la.Severity != lb.Severity || la.Muddy != lb.Muddy {
		t.Fatalf("labels differ: %+v vs %+v", la, lb)
	}
	c, _, _ := GateFrame(g, 8, 0, 3)
	if bytes.Equal(pixels(a), pixels(c)) {
		t.Fatal("another seed gave the same frame")
	}
}

func TestRandomGateDeterministic(t *testing.T) {
	skipEmulated(t)
	a := RandomGate(rand.New(rand.NewSource(3)))
	b := RandomGate(rand.New(rand.NewSource(3)))
	if a != b {
		t.Fatalf("RandomGate differs for a seed:\n%+v\n%+v", a, b)
	}
	for i := int64(0); i < 40; i++ {
		g := RandomGate(rand.New(rand.NewSource(i)))
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		if n := visibleAxles(g); n < 2 {
			t.Errorf("gate of seed %d shows %d axles of a standing truck", i, n)
		}
	}
}

func TestMudLabelAndWheels(t *testing.T) {
	skipEmulated(t)
	for gi, g := range NamedGates() {
		g = small(g)
		for j := 0; j < 4; j++ {
			_, lab, _ := GateFrame(g, 11, gi, j)
			if lab.Muddy != (j%2 == 1) {
				t.Errorf("gate %s frame %d: muddy %v", g.Name, j, lab.Muddy)
			}
			if lab.Muddy && (lab.Severity < 0.2 || lab.Severity > 1) {
				t.Errorf("gate %s frame %d: severity %.2f out of 0.2..1", g.Name, j, lab.Severity)
			}
			if !lab.Muddy && lab.Severity != 0 {
				t.Errorf("clean frame with severity %.2f", lab.Severity)
			}
			if len(lab.Wheels) == 0 {
				t.Errorf("gate %s frame %d: no wheel in the frame", g.Name, j)
			}
		}
	}
}

// The wheels of a standing truck lie inside the gate's wheels region.
func TestROIsCoverWheels(t *testing.T) {
	skipEmulated(t)
	for gi, g := range append(NamedGates(), RandomGate(rand.New(rand.NewSource(5))), RandomGate(rand.New(rand.NewSource(6)))) {
		g = small(g)
		var wheels []pt
		for _, r := range g.ROIs() {
			if r.Name != "wheels" {
				continue
			}
			for _, p := range r.Polygon {
				if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
					t.Errorf("gate %s: roi point %v outside 0..1", g.Name, p)
				}
				wheels = append(wheels, pt{p[0] * float64(g.Width), p[1] * float64(g.Height)})
			}
		}
		if len(wheels) < 3 {
			t.Fatalf("gate %s: no wheels region", g.Name)
		}
		in, all := 0, 0
		for j := 0; j < 6; j++ {
			_, lab, _ := GateFrame(g, 13, gi, j)
			for _, w := range lab.Wheels {
				all++
				c := pt{float64(w.Min.X+w.Max.X) / 2, float64(w.Min.Y+w.Max.Y) / 2}
				if inside(wheels, c) {
					in++
				}
			}
		}
		if all == 0 || float64(in) < 0.9*float64(all) {
			t.Errorf("gate %s: %d of %d wheel centres inside the wheels region", g.Name, in, all)
		}
	}
}

func inside(poly []pt, p pt) bool {
	in := false
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < a.X+(p.Y-a.Y)*(b.X-a.X)/(b.Y-a.Y) {
			in = !in
		}
	}
	return in
}

func meanStd(img image.Image) (float64, float64) {
	px := pixels(img)
	var s, s2 float64
	for i := 0; i < len(px); i += 3 {
		l := 0.299*float64(px[i]) + 0.587*float64(px[i+1]) + 0.114*float64(px[i+2])
		s += l
		s2 += l * l
	}
	n := float64(len(px) / 3)
	m := s / n
	return m, math.Sqrt(math.Max(0, s2/n-m*m))
}

// sharpness is the mean absolute difference of luminance between neighbouring 4x4 blocks
// (the block means average sensor noise away).
func sharpness(img image.Image) float64 {
	b := img.Bounds()
	w, h := b.Dx()/4, b.Dy()/4
	px := pixels(img)
	blk := make([]float64, w*h)
	for y := 0; y < h*4; y++ {
		for x := 0; x < w*4; x++ {
			i := (y*b.Dx() + x) * 3
			blk[(y/4)*w+x/4] += (0.299*float64(px[i]) + 0.587*float64(px[i+1]) + 0.114*float64(px[i+2])) / 16
		}
	}
	var s float64
	for y := 1; y < h; y++ {
		for x := 1; x < w; x++ {
			s += math.Abs(blk[y*w+x]-blk[y*w+x-1]) + math.Abs(blk[y*w+x]-blk[(y-1)*w+x])
		}
	}
	return s / float64(w*h)
}

func TestBlindFrames(t *testing.T) {
	skipEmulated(t)
	g := small(NamedGates()[1])
	for _, reason := range BlindReasons {
		for k := int64(0); k < 3; k++ {
			img, _ := BlindFrame(g, reason, rand.New(rand.NewSource(k)))
			m, sd := meanStd(img)
			sh := sharpness(img)
			switch reason {
			case BlindBlack:
				if m > 10 {
					t.Errorf("%s: mean %.1f", reason, m)
				}
			case BlindGrey:
				if sd > 4 || m < 60 {
					t.Errorf("%s: mean %.1f std %.1f", reason, m, sd)
				}
			case BlindBlur:
				if sh > 5 || sh/sd > 0.3 {
					t.Errorf("%s: sharpness %.2f std %.1f", reason, sh, sd)
				}
			case BlindLensMud:
				if sh > 5 || sd > 10 {
					t.Errorf("%s: sharpness %.2f std %.1f", reason, sh, sd)
				}
			case BlindIRFailure:
				if m > 16 {
					t.Errorf("%s: mean %.1f", reason, m)
				}
			case BlindOverexpose:
				if m < 225 {
					t.Errorf("%s: mean %.1f", reason, m)
				}
			}
		}
	}
	// the controls can be seen: neither dark nor flat nor smooth
	for k := int64(0); k < 6; k++ {
		img, _ := BlindFrame(g, "", rand.New(rand.NewSource(k)))
		m, sd := meanStd(img)
		if sh := sharpness(img); m < 15 || m > 230 || sd < 8 || sh < 5 {
			t.Errorf("control %d: mean %.1f std %.1f sharpness %.2f", k, m, sd, sh)
		}
	}
}

func TestWriteSet(t *testing.T) {
	skipEmulated(t)
	dir := t.TempDir()
	o := Options{Gates: 2, PerGate: 6, Seed: 3, Width: 256, Height: 144, Blind: 8, Empty: 2}
	if err := WriteSet(dir, o); err != nil {
		t.Fatal(err)
	}
	for gi := 0; gi < 2; gi++ {
		gd := filepath.Join(dir, "gate-0"+strconv.Itoa(gi))
		rows := readCSV(t, filepath.Join(gd, "labels.csv"), 4)
		if len(rows) != 6 {
			t.Fatalf("%s: %d rows", gd, len(rows))
		}
		n := map[string]int{}
		for _, r := range rows {
			n[r[1]]++
			if r[1] != "clean" && r[1] != "muddy" {
				t.Errorf("label %q", r[1])
			}
			sev, err := strconv.ParseFloat(r[3], 64)
			if err != nil || sev < 0 || sev > 1 {
				t.Errorf("severity %q", r[3])
			}
			decode(t, filepath.Join(gd, "frames", r[0]), 256, 144)
		}
		if n["clean"] != 3 || n["muddy"] != 3 {
			t.Errorf("%s: balance %v", gd, n)
		}
		var cam struct {
			ID   string `yaml:"id"`
			ROIs []struct {
				Name    string       `yaml:"name"`
				Polygon [][2]float64 `yaml:"polygon"`
			} `yaml:"rois"`
		}
		raw, err := os.ReadFile(filepath.Join(gd, "camera.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&cam); err != nil {
			t.Fatalf("camera.yaml: %v\n%s", err, raw)
		}
		if cam.ID != "wheels" || len(cam.ROIs) != 2 || cam.ROIs[0].Name != "wheels" || cam.ROIs[1].Name != "lower-body" {
			t.Errorf("camera.yaml: %+v", cam)
		}
		for _, r := range cam.ROIs {
			if len(r.Polygon) < 3 {
				t.Errorf("roi %s: %d points", r.Name, len(r.Polygon))
			}
		}
	}
	blind := readCSV(t, filepath.Join(dir, "blind", "labels.csv"), 3)
	if len(blind) != 8 {
		t.Fatalf("blind: %d rows", len(blind))
	}
	for _, r := range blind {
		if (r[1] == "true") == (r[2] == "ok") || (r[1] != "true" && r[1] != "false") {
			t.Errorf("blind row %v", r)
		}
		decode(t, filepath.Join(dir, "blind", "frames", r[0]), 256, 144)
	}
	empty := readCSV(t, filepath.Join(dir, "empty", "labels.csv"), 3)
	if len(empty) != 2 {
		t.Fatalf("empty: %d rows", len(empty))
	}
	// a second write of the same options is byte for byte the same
	dir2 := t.TempDir()
	if err := WriteSet(dir2, o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"gate-00/labels.csv", "gate-01/camera.yaml", "gate-01/frames/0005.jpg", "blind/frames/0003.jpg"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes of one seed", f)
		}
	}
}

func readCSV(t *testing.T, path string, cols int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r := strings.Split(sc.Text(), ",")
		if len(r) != cols {
			t.Fatalf("%s: %q has %d fields, want %d", path, sc.Text(), len(r), cols)
		}
		out = append(out, r)
	}
	return out
}

func decode(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("%s: %v", path, img.Bounds())
	}
}

// Over many frames the labels stay balanced and every light and kind turns up.
func TestLabelBalance(t *testing.T) {
	skipEmulated(t)
	g := small(RandomGate(rand.New(rand.NewSource(9))))
	lights := map[string]int{}
	kinds := map[string]int{}
	muddy := 0
	const n = 120
	for j := 0; j < n; j++ {
		rng := rand.New(rand.NewSource(mixSeed(1, 0, int64(j))))
		tr := RandomTruck(rng, g, j%2 == 1)
		c := RandomCondition(rng, g)
		lights[c.Light]++
		kinds[tr.Kind]++
		if tr.Mud > 0 {
			muddy++
		}
	}
	if muddy != n/2 {
		t.Errorf("%d muddy of %d", muddy, n)
	}
	// the hard negatives turn up on clean trucks
	hard := map[string]int{}
	for j := 0; j < 2*n; j += 2 {
		rng := rand.New(rand.NewSource(mixSeed(2, 0, int64(j))))
		tr := RandomTruck(rng, g, false)
		c := RandomCondition(rng, g)
		c.Light = LightSun
		c.ShadowBand = j%4 == 0
		for _, h := range hardNegatives(tr, c, g) {
			hard[h]++
		}
	}
	for _, h := range []string{"wet-vehicle", "road-mud", "brown-paint", "rust", "shadow", "lens-spots"} {
		if hard[h] == 0 {
			t.Errorf("no clean truck with %s in %v", h, hard)
		}
	}
	if len(lights) != len(Lights) || len(kinds) != len(Kinds) {
		t.Errorf("lights %v kinds %v", sortedKeys(lights), sortedKeys(kinds))
	}
}

// skipEmulated skips a compute-heavy test under an emulator ($SITEGATE_TEST_EXEC, as `make
// test-arm64` runs the suite): it takes minutes natively there and tests no architecture detail.
func skipEmulated(t *testing.T) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: run natively (make test), not under an emulator")
	}
}
