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
