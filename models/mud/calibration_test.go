package mud

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shifted makes n labelled frames whose two regions' scores separate the classes only after a
// gate-specific shift: every score is high (the shipped threshold 0.5 calls everything muddy),
// and the lower-body region is noise.
func shifted(n int, seed uint64) []LabelledScores {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []LabelledScores
	for i := 0; i < n; i++ {
		muddy := i%2 == 1
		w := 0.62 + rng.Float64()*0.12
		if muddy {
			w = 0.8 + rng.Float64()*0.15
		}
		out = append(out, LabelledScores{Muddy: muddy, Regions: []RegionScore{{Name: "wheels", Score: w}, {Name: "lower-body", Score: 0.3 + rng.Float64()*0.6}}})
	}
	return out
}

func TestFitScoresImproves(t *testing.T) {
	cal, rep, err := FitScores(Classic, shifted(60, 1), FitOptions{})
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	if rep.Folds != 5 || rep.Frames != 60 || rep.Muddy != 30 || rep.After.F1 <= rep.Before.F1 || rep.After.F1 < 0.9 {
		t.Fatalf("report %+v", rep)
	}
	if cal.Threshold <= 0.01 || cal.Threshold >= 0.99 || !strings.HasPrefix(cal.Version, "classic-cal-") || len(cal.Regions) != 2 {
		t.Fatalf("calibration %+v", cal)
	}
	// On frames it never saw, the calibration does what the held-out folds said.
	var c Confusion
	for _, f := range shifted(200, 2) {
		p, err := cal.Apply(f.Regions)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(p >= cal.Threshold, f.Muddy)
	}
	if c.F1() < 0.9 {
		t.Errorf("F1 on new frames %.3f %+v", c.F1(), c)
	}
	if _, err := cal.Apply([]RegionScore{{Name: "wheels", Score: 0.5}}); err == nil {
		t.Error("applied to one region of two")
	}
	if _, err := cal.Apply([]RegionScore{{Name: "lower-body"}, {Name: "wheels"}}); err == nil {
		t.Error("applied to regions in another order")
	}
}

func TestFitScoresRefuses(t *testing.T) {
	perfect := func(n int) []LabelledScores {
		var out []LabelledScores
		for i := 0; i < n; i++ {
			s := 1e-5
			if i%2 == 1 {
				s = 1 - 1e-5
			}
			out = append(out, LabelledScores{Muddy: i%2 == 1, Regions: []RegionScore{{Name: "wheels", Score: s}}})
		}
		return out
	}
	allMuddy := shifted(40, 3)
	for i := range allMuddy {
		allMuddy[i].Muddy = true
	}
	few := shifted(60, 4)[:14] // 7 of each
	cases := []struct {
		name   string
		frames []LabelledScores
		want   string
	}{
		{"none", nil, "no labelled frames"},
		{"one class", allMuddy, "at least 10 of each"},
		{"too few", few, "at least 10 of each"},
		{"no better", perfect(40), "no better than the shipped model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, rep, err := FitScores(ONNX, tc.frames, FitOptions{})
			if !errors.Is(err, ErrRefused) || !strings.Contains(rep.Refused, tc.want) {
				t.Fatalf("err %v, refused %q, want %q", err, rep.Refused, tc.want)
			}
		})
	}
}

func TestCalibrationFile(t *testing.T) {
	cal, _, err := FitScores(ONNX, shifted(60, 5), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cal.json")
	if err := cal.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCalibration(path)
	if err != nil {
		t.Fatal(err)
	}
	f := shifted(2, 6)[1]
	a, _ := cal.Apply(f.Regions)
	b, _ := back.Apply(f.Regions)
	if a != b || back.Version != cal.Version {
		t.Fatalf("reloaded %+v, want %+v", back, cal)
	}
	raw, _ := os.ReadFile(path)
	for _, bad := range calibrationCases(raw)[1:] {
		if _, err := ParseCalibration([]byte(bad.data)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want %q", bad.name, err, bad.want)
		}
	}
	if _, err := LoadCalibration(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

type calCase struct{ name, data, want string }

func calibrationCases(good []byte) []calCase {
	g := string(good)
	return []calCase{
		{"good", g, ""},
		{"unknown key", strings.Replace(g, `"bias"`, `"bais"`, 1), "unknown field"},
		{"schema", strings.Replace(g, CalibrationSchema, "other/v9", 1), "schema"},
		{"threshold", strings.Replace(g, `"threshold": 0.`, `"threshold": 1`, 1), "threshold"},
		{"weights", strings.Replace(g, `"weights": [`, `"weights": [1,`, 1), "values each"},
		{"trailing", g + "{}", "after the object"},
		{"not json", "threshold: 0.5", "invalid character"},
	}
}

func FuzzParseCalibration(f *testing.F) {
	cal, _, err := FitScores(Classic, shifted(60, 7), FitOptions{})
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range calibrationCases(cal.Marshal()) {
		f.Add([]byte(c.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCalibration(data)
		if err != nil {
			return
		}
		rs := make([]RegionScore, len(c.Regions))
		for i, n := range c.Regions {
			rs[i] = RegionScore{Name: n, Score: 0.5}
		}
		if p, err := c.Apply(rs); err != nil || p < 0 || p > 1 {
			t.Fatalf("a valid calibration applied: %v, %v", p, err)
		}
	})
}

// withFeatures makes n labelled frames whose region scores say nothing (every frame about
// 0.7) and whose 8 features per region carry the label in two of them, as a CNN's pooled
// features can when its last layer was fitted at other gates.
func withFeatures(n int, seed uint64) []LabelledScores {
	rng := rand.New(rand.NewPCG(seed, 2))
	var out []LabelledScores
	for i := 0; i < n; i++ {
		muddy := i%2 == 1
		f := LabelledScores{Muddy: muddy}
		for _, name := range []string{"wheels", "lower-body"} {
			f.Regions = append(f.Regions, RegionScore{Name: name, Score: 0.65 + rng.Float64()*0.1})
			v := make([]float64, 8)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			if muddy && name == "wheels" {
				v[2] += 2.5
				v[5] -= 1.5
			}
			f.Features = append(f.Features, v)
		}
		out = append(out, f)
	}
	return out
}

func TestFitScoresFeaturesStage(t *testing.T) {
	cal, rep, err := FitScores(ONNX, withFeatures(60, 1), FitOptions{})
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	if rep.Stage != KindFeatures || cal.Kind != KindFeatures || cal.FeatureDims != 8 || len(cal.Weights) != 3+2*8 {
		t.Fatalf("stage %s, calibration %+v", rep.Stage, cal)
	}
	if rep.After.F1 < 0.8 || rep.After.F1 <= rep.Before.F1 {
		t.Fatalf("held-out F1 %.3f, before %.3f", rep.After.F1, rep.Before.F1)
	}
	var c Confusion
	for _, f := range withFeatures(200, 2) {
		p, err := cal.ApplyResult(Result{Regions: f.Regions, Features: f.Features})
		if err != nil {
			t.Fatal(err)
		}
		c.Add(p >= cal.Threshold, f.Muddy)
	}
	if c.F1() < 0.8 {
		t.Errorf("F1 on new frames %.3f %+v", c.F1(), c)
	}
	f := withFeatures(2, 3)[1]
	if _, err := cal.Apply(f.Regions); err == nil {
		t.Error("a features calibration applied to region scores alone")
	}
	if _, err := cal.ApplyResult(Result{Regions: f.Regions, Features: [][]float64{f.Features[0], f.Features[1][:4]}}); err == nil {
		t.Error("applied to features of another length")
	}
	// It survives its file, and a file that lies about its inputs is refused.
	back, err := ParseCalibration(cal.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cal.ApplyResult(Result{Regions: f.Regions, Features: f.Features})
	b, _ := back.ApplyResult(Result{Regions: f.Regions, Features: f.Features})
	if a != b {
		t.Fatalf("reloaded score %v, want %v", b, a)
	}
	bad := cal
	bad.FeatureDims = 9
	if _, err := ParseCalibration(bad.Marshal()); err == nil || !strings.Contains(err.Error(), "mean, scale and weights") {
		t.Errorf("wrong feature_dims: %v", err)
	}
	bad = cal
	bad.Kind, bad.FeatureDims = KindLogistic, 8
	if _, err := ParseCalibration(bad.Marshal()); err == nil || !strings.Contains(err.Error(), "weighs no features") {
		t.Errorf("feature_dims on a logistic calibration: %v", err)
	}
	// Frames without features (the classic scorer) never get the features stage.
	plain := withFeatures(60, 4)
	for i := range plain {
		plain[i].Features = nil
	}
	if _, rep, _ := FitScores(Classic, plain, FitOptions{}); rep.Stage == KindFeatures {
		t.Error("features stage without features")
	}
}
