//go:build !nocv

package cover

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/models/mud"
)

var bed = []mud.Region{{Name: "bed", Polygon: [][2]float64{{0.21, 0.30}, {0.80, 0.30}, {0.80, 0.75}, {0.21, 0.75}}}}

// drawn is a hand-drawn 640x360 frame: a grey lane and truck, and in the bed either a smooth
// tarp (one saturated colour, long soft folds, straight ropes) or a granular load (clods of
// soil or gravel, edges every way), JPEG-compressed as a camera would send it.
func drawn(t testing.TB, tarp bool, seed uint64) gocv.Mat {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 112, 115, 0), 360, 640, gocv.MatTypeCV8UC3)
	defer m.Close()
	bedBox := image.Rect(134, 108, 512, 270)
	// The truck's body around the bed.
	gocv.Rectangle(&m, bedBox.Inset(-14), color.RGBA{60, 60, 70, 0}, -1)
	jit := func(v float64, d float64) uint8 { return uint8(max(0, min(255, v+d*(rng.Float64()*2-1)))) }
	if tarp {
		base := [][3]float64{{40, 70, 170}, {50, 140, 60}, {220, 120, 30}, {60, 110, 60}}[rng.IntN(4)] // RGB
		shade := 0.6 + 0.5*rng.Float64()
		c := color.RGBA{jit(base[0]*shade, 10), jit(base[1]*shade, 10), jit(base[2]*shade, 10), 0}
		gocv.Rectangle(&m, bedBox, c, -1)
		// Long folds: broad, soft, darker and lighter bands across the bed.
		for k := 0; k < 3+rng.IntN(4); k++ {
			f := 0.75 + 0.5*rng.Float64()
			fc := color.RGBA{uint8(min(255, float64(c.R)*f)), uint8(min(255, float64(c.G)*f)), uint8(min(255, float64(c.B)*f)), 0}
			x0 := bedBox.Min.X + rng.IntN(bedBox.Dx())
			gocv.Line(&m, image.Pt(x0, bedBox.Min.Y), image.Pt(x0+rng.IntN(120)-60, bedBox.Max.Y), fc, 6+rng.IntN(10))
		}
		sub := m.Region(bedBox)
		gocv.GaussianBlur(sub, &sub, image.Pt(0, 0), 5, 5, gocv.BorderReflect)
		sub.Close()
		// Ropes: thin straight lines from side to side.
		for k := 0; k < 2+rng.IntN(3); k++ {
			y := bedBox.Min.Y + rng.IntN(bedBox.Dy())
			gocv.Line(&m, image.Pt(bedBox.Min.X, y), image.Pt(bedBox.Max.X, y+rng.IntN(30)-15), color.RGBA{30, 30, 30, 0}, 2)
		}
	} else {
		base := [][3]float64{{120, 85, 55}, {140, 105, 70}, {125, 125, 122}, {150, 140, 120}}[rng.IntN(4)]
		gocv.Rectangle(&m, bedBox, color.RGBA{jit(base[0], 10), jit(base[1], 10), jit(base[2], 10), 0}, -1)
		for k := 0; k < 1800; k++ {
			f := 0.55 + 0.9*rng.Float64()
			p := image.Pt(bedBox.Min.X+rng.IntN(bedBox.Dx()), bedBox.Min.Y+rng.IntN(bedBox.Dy()))
			gocv.Circle(&m, p, 1+rng.IntN(4), color.RGBA{jit(base[0]*f, 6), jit(base[1]*f, 6), jit(base[2]*f, 6), 0}, -1)
		}
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	out, err := gocv.IMDecode(buf.GetBytes(), gocv.IMReadColor)
	if err != nil || out.Empty() {
		t.Fatalf("decode: %v", err)
	}
	return out
}

func featuresOf(t testing.TB, tarp bool, seed uint64) []float64 {
	t.Helper()
	m := drawn(t, tarp, seed)
	defer m.Close()
	f, err := Features(m, bed)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 1 || len(f[0]) != NumFeatures {
		t.Fatalf("features: %d regions of %d", len(f), len(f[0]))
	}
	return f[0]
}

// TestFeaturesTellTarpFromSoil checks the features mean what they say on hand-drawn beds: a tarp
// has fewer clods, less clod-sized texture, more coherent gradients and more saturated colour
// than soil or gravel.
func TestFeaturesTellTarpFromSoil(t *testing.T) {
	var tarp, soil [NumFeatures]float64
	const n = 6
	for s := uint64(0); s < n; s++ {
		ft, fs := featuresOf(t, true, s), featuresOf(t, false, s)
		for k := range tarp {
			tarp[k] += ft[k] / n
			soil[k] += fs[k] / n
		}
	}
	for _, c := range []struct {
		name     string
		k        int
		tarpLess bool
	}{
		{"clods", sPeakFine, true},
		{"clod texture", sMid, true},
		{"share of granular tiles", nGlobal + nTile, true},
		{"saturated colour", sSat, false},
		{"share of cover-coloured tiles", nGlobal + nTile + 3, false},
		{"orientation entropy", nPixStat + 1, true},
	} {
		if (tarp[c.k] < soil[c.k]) != c.tarpLess {
			t.Errorf("%s (feature %d): tarp %.4f, soil %.4f", c.name, c.k, tarp[c.k], soil[c.k])
		}
	}
}

// fitDrawn fits a small model to hand-drawn beds.
func fitDrawn(t testing.TB, n int) Model {
	var xs [][]float64
	var ys []bool
	for s := uint64(0); s < uint64(n); s++ {
		xs = append(xs, featuresOf(t, true, 100+s), featuresOf(t, false, 100+s))
		ys = append(ys, false, true)
	}
	return Model{Cover: mud.FitBoostedTrees(xs, ys, 20)}
}

// TestScorerSeparatesDrawnBeds fits a small model to some hand-drawn beds and scores others it
// never saw: the features carry the difference, and the scorer puts it in Score and Kind.
func TestScorerSeparatesDrawnBeds(t *testing.T) {
	s := NewClassic(fitDrawn(t, 12))
	for seed := uint64(500); seed < 508; seed++ {
		for _, tarp := range []bool{true, false} {
			m := drawn(t, tarp, seed)
			res, err := s.Score(m, bed)
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Regions) != 1 || res.Regions[0].Name != "bed" || res.Regions[0].Score != res.Score {
				t.Fatalf("regions %+v, score %v", res.Regions, res.Score)
			}
			if (res.Score >= 0.5) == tarp {
				t.Errorf("seed %d tarp %v: score %.3f", seed, tarp, res.Score)
			}
			wantKind := Covered
			if !tarp {
				wantKind = Open // no kind models: the first kind
			}
			if res.Score >= 0.5 == !tarp && res.Kind != wantKind {
				t.Errorf("seed %d tarp %v: kind %q", seed, tarp, res.Kind)
			}
			if res.Quality <= 0 {
				t.Errorf("seed %d: quality %v", seed, res.Quality)
			}
		}
	}
}

// TestScoreFrameTypes scores a frame as BGR, BGRA and grey: every accepted type gives a result,
// and the grey copy about the same sharpness. A model with no trees scores 0.5, which is an
// alarm of the first kind.
func TestScoreFrameTypes(t *testing.T) {
	m := drawn(t, false, 3)
	defer m.Close()
	s := NewClassic(Model{})
	var q []float64
	for _, code := range []gocv.ColorConversionCode{-1, gocv.ColorBGRToBGRA, gocv.ColorBGRToGray} {
		in := m
		if code >= 0 {
			in = gocv.NewMat()
			defer in.Close()
			gocv.CvtColor(m, &in, code)
		}
		res, err := s.Score(in, bed)
		if err != nil {
			t.Fatalf("type %v: %v", in.Type(), err)
		}
		if res.Score != 0.5 || res.Kind != Open {
			t.Errorf("type %v: empty model gave %+v", in.Type(), res)
		}
		q = append(q, res.Quality)
	}
	if q[0] <= 0 || q[1] != q[0] || math.Abs(q[2]-q[0]) > 0.05*q[0] {
		t.Errorf("quality BGR %v, BGRA %v, grey %v", q[0], q[1], q[2])
	}
}

func TestScoreRejectsBadInput(t *testing.T) {
	s := NewClassic(Model{})
	m := drawn(t, true, 1)
	defer m.Close()
	empty := gocv.NewMat()
	defer empty.Close()
	tiny := gocv.NewMatWithSize(4, 4, gocv.MatTypeCV8UC3)
	defer tiny.Close()
	outside := []mud.Region{{Name: "bed", Polygon: [][2]float64{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}}}
	line := []mud.Region{{Name: "bed", Polygon: [][2]float64{{0.1, 0.1}, {0.9, 0.1}}}}
	for _, c := range []struct {
		name    string
		frame   gocv.Mat
		regions []mud.Region
		want    string
	}{
		{"empty frame", empty, bed, "empty frame"},
		{"tiny frame", tiny, bed, "out of range"},
		{"no regions", m, nil, "no regions"},
		{"empty region", m, outside, "is empty"},
		{"two points", m, line, "at least 3 points"},
	} {
		if _, err := s.Score(c.frame, c.regions); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestNewBuildsClassic(t *testing.T) {
	for _, name := range []string{"", Classic} {
		s, err := New(mud.Config{Scorer: name})
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if s.Name() != Classic {
			t.Errorf("New(%q).Name() = %q", name, s.Name())
		}
		s.Close()
	}
	// A calibration is applied over the scorer, as for mud; a bad file is an error.
	bad := filepath.Join(t.TempDir(), "cal.json")
	if err := os.WriteFile(bad, []byte(`{"schema": "nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(mud.Config{Calibration: bad}); err == nil {
		t.Error("New with a broken calibration: no error")
	}
	cal := mud.Calibration{Schema: mud.CalibrationSchema, Version: "classic-cal-test", Kind: mud.KindThreshold, Scorer: Classic,
		Regions: []string{"bed"}, Mean: []float64{0, 0}, Scale: []float64{1, 1}, Weights: []float64{0, 1}, Threshold: 0.4}
	good := filepath.Join(t.TempDir(), "good.json")
	if err := cal.Save(good); err != nil {
		t.Fatal(err)
	}
	s, err := New(mud.Config{Calibration: good})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, ok := s.(*mud.Calibrated)
	if !ok || c.Calibration().Version != cal.Version {
		t.Fatalf("New with a calibration gave %T", s)
	}
	m := drawn(t, true, 2)
	defer m.Close()
	if _, err := s.Score(m, bed); err != nil {
		t.Fatal(err)
	}
	// The calibration was fitted on one region named bed.
	if _, err := s.Score(m, append(bed, mud.Region{Name: AboveBed, Polygon: bed[0].Polygon})); err == nil {
		t.Error("calibrated scorer accepted regions it was not fitted on")
	}
	if errors.Is(err, mud.ErrNoVision) {
		t.Error("ErrNoVision in a build with OpenCV")
	}
}

// TestKindFromAboveBand checks the frame's kind vector takes the bed's and the above-bed band's
// features, whichever order the regions come in.
func TestKindFromAboveBand(t *testing.T) {
	fb, fa := make([]float64, NumFeatures), make([]float64, NumFeatures)
	fb[0], fa[0] = 1, 2
	regions := []mud.Region{{Name: AboveBed}, {Name: "bed"}}
	x := KindFeatures(regions, [][]float64{fa, fb}, []float64{0.9, 0.2})
	if x[0] != 1 || x[NumFeatures] != 2 || x[2*NumFeatures] != 1 {
		t.Fatalf("kind vector: bed %v above %v flag %v", x[0], x[NumFeatures], x[2*NumFeatures])
	}
	x = KindFeatures(regions[1:], [][]float64{fb}, []float64{0.2})
	if x[0] != 1 || x[NumFeatures] != 0 || x[2*NumFeatures] != 0 {
		t.Fatalf("kind vector without a band: %v %v %v", x[0], x[NumFeatures], x[2*NumFeatures])
	}
	// One-vs-rest: the kind whose model scores highest.
	hi := mud.Boosted{Stumps: []mud.Stump{{Feature: 0, Split: 10, Left: 1, Right: 1}}}
	lo := mud.Boosted{Stumps: []mud.Stump{{Feature: 0, Split: 10, Left: -1, Right: -1}}}
	if k := (Model{Kinds: []mud.Boosted{lo, lo, hi}}).Kind(x); k != Heaped {
		t.Errorf("kind %q, want heaped", k)
	}
	if k := (Model{Kinds: []mud.Boosted{lo, hi, lo}}).Kind(x); k != Torn {
		t.Errorf("kind %q, want torn", k)
	}
}

// BenchmarkScore1080p scores one 1920x1080 frame over the bed region; BenchmarkGrey1080p is the
// bare BGR-to-grey conversion of the same frame, the baseline the scorer's cost is given against.
func BenchmarkScore1080p(b *testing.B) {
	m := frame1080(b)
	defer m.Close()
	s := NewClassic(DefaultModel)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Score(m, bed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGrey1080p(b *testing.B) {
	m := frame1080(b)
	defer m.Close()
	g := gocv.NewMat()
	defer g.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
	}
}

func frame1080(b *testing.B) gocv.Mat {
	small := drawn(b, false, 9)
	defer small.Close()
	m := gocv.NewMat()
	gocv.Resize(small, &m, image.Pt(1920, 1080), 0, 0, gocv.InterpolationLinear)
	return m
}
