//go:build !nocv

package mud

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/testbench/scene"
)

const modelSpec = "model/mud-cnn.yaml"

func sceneRegions() []Region {
	var out []Region
	for _, r := range scene.Regions {
		reg := Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		out = append(out, reg)
	}
	return out
}

func scorers(t testing.TB) []Scorer {
	t.Helper()
	onnx, err := NewONNX(modelSpec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { onnx.Close() })
	return []Scorer{NewClassic(DefaultModel), onnx}
}

// TestHeldOutF1 scores generated frames from a seed no model was fitted or tuned on, and checks
// each scorer's F1 at its shipped threshold. Run `go run ./models/mud/train/heldout` for the
// full per-condition figures on a larger set.
func TestHeldOutF1(t *testing.T) {
	perCell := 4
	if testing.Short() {
		perCell = 2
	}
	specs := scene.SetOptions{Seed: 1234, PerCell: perCell}.Specs()
	regions := sceneRegions()
	min := map[string]float64{Classic: 0.80, ONNX: 0.95}
	for _, s := range scorers(t) {
		t.Run(s.Name(), func(t *testing.T) {
			var c Confusion
			for _, sp := range specs {
				m, err := scene.Frame(sp, 640, 360)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Score(m, regions)
				m.Close()
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Regions) != len(regions) || res.Score < 0 || res.Score > 1 {
					t.Fatalf("result %+v", res)
				}
				c.Add(res.Score >= 0.5, sp.Severity != scene.Clean)
			}
			t.Logf("%s: F1 %.3f %+v", s.Name(), c.F1(), c)
			if c.F1() < min[s.Name()] {
				t.Errorf("F1 %.3f below %.2f: %+v", c.F1(), min[s.Name()], c)
			}
		})
	}
}

func TestScoreFrameKinds(t *testing.T) {
	regions := sceneRegions()
	spec := scene.Spec{Seed: 5, Condition: scene.Day, Severity: scene.Heavy, Shape: scene.Tipper3, Cab: "red", Body: "blue"}
	bgr, err := scene.Frame(spec, 640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer bgr.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
	bgra := gocv.NewMat()
	defer bgra.Close()
	gocv.CvtColor(bgr, &bgra, gocv.ColorBGRToBGRA)
	empty := gocv.NewMat()
	defer empty.Close()
	tiny := gocv.NewMatWithSize(4, 4, gocv.MatTypeCV8UC3)
	defer tiny.Close()
	float := gocv.NewMatWithSize(64, 64, gocv.MatTypeCV32F)
	defer float.Close()
	cases := []struct {
		name    string
		m       gocv.Mat
		regions []Region
		err     string
	}{
		{"bgr", bgr, regions, ""},
		{"grey", grey, regions, ""},
		{"bgra", bgra, regions, ""},
		{"empty", empty, regions, "empty"},
		{"tiny", tiny, regions, "size"},
		{"float", float, regions, "type"},
		{"no regions", bgr, nil, "no regions"},
		{"degenerate region", bgr, []Region{{Name: "line", Polygon: [][2]float64{{0.5, 0}, {0.5, 0.5}, {0.5, 1}}}}, "empty"},
	}
	for _, s := range scorers(t) {
		for _, tc := range cases {
			t.Run(s.Name()+"/"+tc.name, func(t *testing.T) {
				res, err := s.Score(tc.m, tc.regions)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err = %v, want %q", err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Score < 0 || res.Score > 1 || res.Quality <= 0 || len(res.Regions) != len(tc.regions) {
					t.Errorf("result %+v", res)
				}
			})
		}
	}
}

func TestNewONNXRejects(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(modelSpec)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model, _ := filepath.Abs("model/mud-cnn.onnx")
	noSum := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "sha256:") && !strings.HasPrefix(l, "file:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	cases := []struct {
		name, spec, err string
	}{
		{"missing spec", filepath.Join(dir, "none.yaml"), "no such file"},
		{"not a model", write("junk.yaml", "file: junk.onnx\n"+noSum(string(good))), "junk.onnx"},
		{"wrong label count", write("labels.yaml", "file: "+model+"\n"+strings.Replace(noSum(string(good)), "labels: [clean, muddy]", "labels: [clean, muddy, wet]", 1)), "labels"},
	}
	write("junk.onnx", "this is not ONNX")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewONNX(tc.spec)
			if err == nil {
				s.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// BenchmarkAnalyse1080p measures one 1920x1080 frame through each scorer, beside the cost of a
// bare colour conversion and resize of the same frame. Report the ratio analysis/baseline. Pin
// it to one core, since OpenCV would otherwise spread its work over every core:
//
//	taskset -c 0 go test -run '^$' -bench Analyse1080p -cpu 1 ./models/mud/
func BenchmarkAnalyse1080p(b *testing.B) {
	spec := scene.Spec{Seed: 9, Condition: scene.Day, Severity: scene.Light, Shape: scene.Tipper4, Cab: "brown", Body: "red", JPEGQuality: 80}
	frame, err := scene.Frame(spec, 1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	defer frame.Close()
	regions := sceneRegions()
	b.Run("baseline-cvtcolor-resize", func(b *testing.B) {
		grey, small := gocv.NewMat(), gocv.NewMat()
		defer grey.Close()
		defer small.Close()
		for i := 0; i < b.N; i++ {
			gocv.CvtColor(frame, &grey, gocv.ColorBGRToHSV)
			gocv.Resize(grey, &small, image.Pt(640, 360), 0, 0, gocv.InterpolationArea)
		}
	})
	// A gate's regions are 16-point polygons, and a calibration sits over the scorer.
	g := scene.Gates(9, 1, "bench")[0]
	var gateRegions []Region
	for _, r := range g.Regions() {
		reg := Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		gateRegions = append(gateRegions, reg)
	}
	gs := spec
	gs.Gate = g
	gframe, err := scene.Frame(gs, 1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	defer gframe.Close()
	for _, s := range scorers(b) {
		b.Run(s.Name(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.Score(frame, regions); err != nil {
					b.Fatal(err)
				}
			}
		})
		cal := thresholdOnly(len(gateRegions) + 1)
		cal.Kind, cal.Scorer, cal.Threshold = KindLogistic, s.Name(), 0.5
		for _, r := range gateRegions {
			cal.Regions = append(cal.Regions, r.Name)
		}
		cs, err := NewCalibrated(s, cal)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s.Name()+"-gate-calibrated", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := cs.Score(gframe, gateRegions); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestONNXFeatures: the onnx scorer gives each region the pooled features its last layer
// weighs, in the same pass as the score: the shipped network's 64, different for a muddy and a
// clean truck, the same for the same frame.
func TestONNXFeatures(t *testing.T) {
	s, err := NewONNX(modelSpec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.FeatureDims() != 64 {
		t.Fatalf("feature dims %d, want the network's 64", s.FeatureDims())
	}
	regions := sceneRegions()
	score := func(sev scene.Severity) Result {
		t.Helper()
		bgr, err := scene.Frame(scene.Spec{Seed: 9, Condition: scene.Day, Severity: sev, Shape: scene.Tipper3, Cab: "red", Body: "blue"}, 640, 360)
		if err != nil {
			t.Fatal(err)
		}
		defer bgr.Close()
		res, err := s.Score(bgr, regions)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Features) != len(regions) || len(res.Features[0]) != 64 {
			t.Fatalf("features %d regions", len(res.Features))
		}
		return res
	}
	clean, muddy, again := score(scene.Clean), score(scene.Heavy), score(scene.Clean)
	diff, same := 0.0, 0.0
	for j := range clean.Features[0] {
		diff += math.Abs(clean.Features[0][j] - muddy.Features[0][j])
		same += math.Abs(clean.Features[0][j] - again.Features[0][j])
	}
	if diff == 0 || same != 0 || clean.Regions[0].Score != again.Regions[0].Score {
		t.Errorf("features differ by %v between a clean and a muddy truck, %v between the same frame twice", diff, same)
	}
	frame, err := scene.Frame(scene.Spec{Seed: 9, Condition: scene.Day, Severity: scene.Clean, Shape: scene.Tipper3, Cab: "red", Body: "blue"}, 640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer frame.Close()
	if classic, err := NewClassic(DefaultModel).Score(frame, regions); err != nil || classic.Features != nil {
		t.Errorf("the classic scorer gave features (err %v)", err)
	}
}
