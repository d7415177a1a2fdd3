//go:build !nocv

package quality

import (
	"image"
	"image/color"
	"os"
	"sort"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/testbench/scene"
)

func sceneBoxes() []Box {
	var out []Box
	for _, r := range scene.Regions {
		b := Box{X0: 1, Y0: 1}
		for _, p := range r.Polygon {
			b.X0, b.Y0 = min(b.X0, p[0]), min(b.Y0, p[1])
			b.X1, b.Y1 = max(b.X1, p[0]), max(b.Y1, p[1])
		}
		out = append(out, b)
	}
	return out
}

// degrade makes the frames a blind camera gives from a good one.
func degrade(t testing.TB, good gocv.Mat, kind string) gocv.Mat {
	out := gocv.NewMat()
	switch kind {
	case "black":
		out = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), good.Rows(), good.Cols(), gocv.MatTypeCV8UC3)
	case "grey":
		out = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), good.Rows(), good.Cols(), gocv.MatTypeCV8UC3)
	case "white":
		out = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), good.Rows(), good.Cols(), gocv.MatTypeCV8UC3)
	case "dark": // IR off at night: a trace of the scene left
		good.ConvertToWithParams(&out, gocv.MatTypeCV8UC3, 0.08, 0)
	case "overexposed":
		good.ConvertToWithParams(&out, gocv.MatTypeCV8UC3, 8, 120)
	case "blurred": // heavily out of focus
		k := good.Cols()/40*2 + 1
		gocv.GaussianBlur(good, &out, image.Pt(k, k), 0, 0, gocv.BorderReflect)
	case "mud-on-lens": // an out-of-focus brown blob over most of the regions, the rest sharp
		w, h := good.Cols(), good.Rows()
		mask := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
		defer mask.Close()
		mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
		gocv.Ellipse(&mask, image.Pt(w*45/100, h*80/100), image.Pt(w*75/100, h*30/100), 0, 0, 360, color.RGBA{R: 255, G: 255, B: 255, A: 255}, -1)
		k := w/60*2 + 1
		soft := gocv.NewMat()
		defer soft.Close()
		gocv.GaussianBlur(mask, &soft, image.Pt(k, k), 0, 0, gocv.BorderReflect)
		src, a := good.ToBytes(), soft.ToBytes()
		px := make([]byte, len(src))
		mudBGR := [3]float64{48, 70, 92}
		for i := range a {
			f := float64(a[i]) / 255
			for c := 0; c < 3; c++ {
				px[3*i+c] = byte(float64(src[3*i+c])*(1-f) + mudBGR[c]*f + 0.5)
			}
		}
		var err error
		out, err = gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, px)
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("no degradation %q", kind)
	}
	return out
}

// blindKinds are the frames a blind camera gives and the reason each must be refused for.
// Mud over the wheels of a dark truck at dusk may leave too little contrast in what remains to
// call it anything but flat, and a dark truck at dusk blurred out of focus is one flat blob:
// alsoOK lists such second reasons.
var blindKinds = map[string]Reason{
	"black": TooDark, "grey": NoContrast, "white": Overexposed, "dark": TooDark,
	"overexposed": Overexposed, "blurred": Blurred, "mud-on-lens": Obstructed,
}

var alsoOK = map[string]Reason{"mud-on-lens": NoContrast, "blurred": Obstructed}

func frameOf(t testing.TB, s scene.Spec, w, h int) gocv.Mat {
	m, err := scene.Frame(s, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBlindFrames: every kind of blind frame, made from trucks of every condition, is refused
// with its reason.
func TestBlindFrames(t *testing.T) {
	skipEmulated(t)
	specs := scene.SetOptions{Seed: 3000, PerCell: 2}.Specs()
	for kind, want := range blindKinds {
		for _, size := range [][2]int{{640, 360}, {1920, 1080}} {
			for i, s := range specs {
				if size[0] > 640 && i%5 != 0 {
					continue
				}
				good := frameOf(t, s, size[0], size[1])
				bad := degrade(t, good, kind)
				v, err := Judge(bad, sceneBoxes(), nil, Limits{})
				good.Close()
				bad.Close()
				if err != nil {
					t.Fatal(err)
				}
				if v.Reason != want && (v.Reason == Fine || v.Reason != alsoOK[kind]) {
					t.Errorf("%s of %s at %dx%d: reason %q, want %q (%v)", kind, s, size[0], size[1], v.Reason, want, v.Measures)
				}
			}
		}
	}
}

// noisy is the frame of s with fresh sensor noise and JPEG compression, so frames of one scene
// differ as a camera's successive frames do.
func noisy(t testing.TB, s scene.Spec, k int) gocv.Mat {
	m, err := scene.Render(s, 640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := gocv.NewMatWithSize(m.Rows(), m.Cols(), gocv.MatTypeCV16SC3)
	defer n.Close()
	gocv.SetRNGSeed(k)
	gocv.RandN(&n, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(3, 3, 3, 0))
	wide := gocv.NewMat()
	defer wide.Close()
	m.ConvertTo(&wide, gocv.MatTypeCV16SC3)
	gocv.Add(wide, n, &wide)
	out := gocv.NewMat()
	wide.ConvertTo(&out, gocv.MatTypeCV8UC3)
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, out, []int{gocv.IMWriteJpegQuality, 40 + 10*(k%5)})
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	dec, err := gocv.IMDecode(buf.GetBytes(), gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// TestEmptyLane: against a reference learned from the empty lane, a truck is there and the
// empty lane is not.
func TestEmptyLane(t *testing.T) {
	skipEmulated(t)
	specs := scene.SetOptions{Seed: 3100, PerCell: 3}.Specs()
	for _, s := range specs {
		empty := s
		empty.OffsetX = 1.5 // driven out of the picture
		var ref Reference
		for k := 0; k < 3; k++ {
			m := noisy(t, empty, k)
			err := Learn(&ref, m, sceneBoxes())
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		em, tm := noisy(t, empty, 7), noisy(t, s, 8)
		ve, _ := Judge(em, sceneBoxes(), &ref, Limits{})
		vt, _ := Judge(tm, sceneBoxes(), &ref, Limits{})
		em.Close()
		tm.Close()
		if ve.OK() {
			t.Errorf("empty lane %s judged fit (%v)", s, ve.Measures)
		}
		if vt.Reason != Fine {
			t.Errorf("truck %s: reason %q (%v)", s, vt.Reason, vt.Measures)
		}
		t.Logf("%s: empty %q change %.2f, truck change %.2f", s, ve.Reason, ve.Measures.Change, vt.Measures.Change)
	}
}

// TestSceneSetsNotBlind measures the false blind rate on the held-out scene sets: clean and
// muddy trucks in every condition must be judged. SITEGATE_QUALITY_REPORT=1 logs the spread of
// each measure.
func TestSceneSetsNotBlind(t *testing.T) {
	skipEmulated(t)
	sets := []scene.SetOptions{{Seed: 1000, PerCell: 20}, {Seed: 2000, PerCell: 40}}
	if testing.Short() {
		sets = []scene.SetOptions{{Seed: 1000, PerCell: 4}}
	}
	var all []Measures
	blind, n := 0, 0
	for _, o := range sets {
		for _, s := range o.Specs() {
			m := frameOf(t, s, 640, 360)
			v, err := Judge(m, sceneBoxes(), nil, Limits{})
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
			n++
			all = append(all, v.Measures)
			if !v.OK() {
				blind++
				t.Errorf("%s (seed %d) refused: %s (%v)", s, s.Seed, v.Reason, v.Measures)
			}
		}
	}
	t.Logf("false blind: %d of %d frames", blind, n)
	if os.Getenv("SITEGATE_QUALITY_REPORT") != "" {
		report(t, all)
	}
}

func report(t *testing.T, all []Measures) {
	field := map[string]func(Measures) float64{
		"p1": func(m Measures) float64 { return m.P1 }, "p99": func(m Measures) float64 { return m.P99 },
		"spread": func(m Measures) float64 { return m.P99 - m.P1 }, "saturated": func(m Measures) float64 { return m.Saturated },
		"sharpness": func(m Measures) float64 { return m.Sharpness }, "uniform": func(m Measures) float64 { return m.Uniform },
		"texture": func(m Measures) float64 { return m.Texture },
	}
	for name, f := range field {
		v := make([]float64, len(all))
		for i, m := range all {
			v[i] = f(m)
		}
		sort.Float64s(v)
		t.Logf("%-10s min %.3f p1 %.3f median %.3f p99 %.3f max %.3f", name, v[0], v[len(v)/100], v[len(v)/2], v[len(v)*99/100], v[len(v)-1])
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
