//go:build !nocv

package cli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/cli"
	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	config "sitegate/firmware-config"
	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision"
)

// tarpScorer is a cover scorer of this test: a region's score is the share of its pixels that
// are not tarp blue; a load not covered is heaped when the top fifth of the region is bright,
// open when almost nothing is blue, else torn.
type tarpScorer struct{}

func init() {
	cover.Scorers.Register("clitest", vision.Info{}, func(mud.Config) (mud.Scorer, error) { return tarpScorer{}, nil })
}

func (tarpScorer) Name() string { return "clitest" }
func (tarpScorer) Close() error { return nil }
func (tarpScorer) Score(frame gocv.Mat, regions []mud.Region) (mud.Result, error) {
	img, err := frame.ToImage()
	if err != nil {
		return mud.Result{}, err
	}
	res := mud.Result{Quality: 1}
	for _, r := range regions {
		b := r.Bounds(frame.Cols(), frame.Rows())
		if b.Empty() {
			return mud.Result{}, errors.New("empty region")
		}
		var n, notBlue, top, topBright int
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				n++
				if !(cb > cr+8000 && cb > cg+8000) {
					notBlue++
				}
				if y < b.Min.Y+b.Dy()/5 {
					top++
					if cr+cg+cb > 3*50000 {
						topBright++
					}
				}
			}
		}
		s := float64(notBlue) / float64(n)
		res.Regions = append(res.Regions, mud.RegionScore{Name: r.Name, Score: s})
		if s > res.Score {
			res.Score = s
			switch {
			case s < 0.5:
				res.Kind = cover.Covered
			case topBright*2 > top:
				res.Kind = cover.Heaped
			case s > 0.85:
				res.Kind = cover.Open
			default:
				res.Kind = cover.Torn
			}
		}
	}
	return res, nil
}

// writeCoverSet writes n frames of each label (160×120 JPEGs, the bed in the middle) and
// labels.csv as the cover generators write it; it returns the labels file.
func writeCoverSet(t *testing.T, dir string, n int) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "frames"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	blue := color.RGBA{30, 60, 200, 255}
	soil := color.RGBA{120, 85, 50, 255}
	bright := color.RGBA{235, 225, 210, 255}
	var csv strings.Builder
	csv.WriteString("file,label,condition,view,gate,cover,load\n")
	i := 0
	for _, label := range []string{cover.Covered, cover.Open, cover.Torn, cover.Heaped} {
		for k := 0; k < n; k++ {
			img := image.NewRGBA(image.Rect(0, 0, 160, 120))
			// The bed spans x 34..128, y 36..90 (the regions below).
			for y := 0; y < 120; y++ {
				for x := 0; x < 160; x++ {
					c := color.RGBA{90, 90, 90, 255} // the ground around the truck
					if x >= 30 && x < 132 && y >= 30 && y < 94 {
						fx, fy := float64(x-34)/94, float64(y-36)/54
						switch label {
						case cover.Covered:
							c = blue
							if fx > 0.9-0.3*float64(k)/float64(n) { // a strip of the load showing at one end
								c = soil
							}
						case cover.Open:
							c = soil
						case cover.Torn:
							c = blue
							if fx > 0.15 && fx < 0.7+0.1*float64(k)/float64(n) {
								c = soil
							}
						case cover.Heaped:
							c = soil
							if fy < 0.25 {
								c = bright
							}
						}
					}
					d := uint8(rng.IntN(12))
					img.Set(x, y, color.RGBA{c.R + d, c.G + d, c.B + d, 255})
				}
			}
			name := fmt.Sprintf("frames/%04d.jpg", i)
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 92}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			cond := []string{"day", "dusk"}[k%2]
			cov := ""
			if label == cover.Covered {
				cov = "tarp-blue"
			}
			fmt.Fprintf(&csv, "%s,%s,%s,above,gate-01,%s,soil\n", name, label, cond, cov)
			i++
		}
	}
	path := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// coverConfig writes a config whose camera "bed" has a cover block with the clitest scorer.
func coverConfig(t *testing.T, dir, threshold string) string {
	t.Helper()
	cfg := `site: test-site
gateway: gw-01
lanes:
  - id: exit-1
    scale:
      port: /dev/ttyUSB0
    cameras:
      - id: bed   # the gantry camera over the bed
        url: rtsp://127.0.0.1:8554/bed
        cover:
          rois:
            - name: bed
              polygon: [[0.21, 0.30], [0.80, 0.30], [0.80, 0.75], [0.21, 0.75]]
          scorer: clitest
          threshold: ` + threshold + `
`
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("test config: %v", err)
	}
	return path
}

type coverEval struct {
	Threshold             float64
	N                     int
	Precision, Recall, F1 float64
	Confusion             struct{ TP, FP, TN, FN int }
	By                    map[string]map[string]struct{ N int }
	Kinds                 struct {
		N         int
		Accuracy  float64
		Confusion map[string]map[string]int
	}
}

func TestEvalCover(t *testing.T) {
	images := t.TempDir()
	labels := writeCoverSet(t, images, 12)
	cfgPath := coverConfig(t, t.TempDir(), "0.5")
	base := []string{"--config", cfgPath, "--camera", "bed", "--images", images, "--labels", labels}
	code, out, errs := runMud(append([]string{"eval", "cover", "--json"}, base...)...)
	if code != cli.ExitOK {
		t.Fatalf("eval cover: exit %d: %s", code, errs)
	}
	var rep coverEval
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval cover --json: %v: %s", err, out)
	}
	c := rep.Confusion
	if rep.N != 48 || c.TP != 36 || c.TN != 12 || rep.F1 != 1 || len(rep.By["condition"]) != 2 || rep.By["condition"]["dusk"].N != 24 {
		t.Fatalf("report %s", out)
	}
	if rep.Kinds.N != 48 || rep.Kinds.Accuracy != 1 || rep.Kinds.Confusion["heaped"]["heaped"] != 12 || rep.Kinds.Confusion["torn"]["torn"] != 12 {
		t.Fatalf("kinds %+v", rep.Kinds)
	}

	// At a threshold above the torn loads' scores they are missed, and reported covered.
	cfgHigh := coverConfig(t, t.TempDir(), "0.8")
	code, out, _ = runMud("eval", "cover", "--json", "--config", cfgHigh, "--camera", "bed", "--images", images, "--labels", labels)
	var high coverEval
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &high) != nil {
		t.Fatalf("eval at 0.8: exit %d %s", code, out)
	}
	if high.Confusion.FN != 12 || high.Kinds.Confusion["torn"]["covered"] != 12 || high.Kinds.Accuracy != 0.75 {
		t.Fatalf("at 0.8: %s", out)
	}

	code, out, _ = runMud(append([]string{"eval", "cover"}, base...)...)
	t.Logf("sitegate eval cover:\n%s", out)
	for _, want := range []string{"cover scorer clitest", "predicted uncovered", "kind accuracy 1.000 over 48 frames", "labelled heaped   reported heaped 12", "by condition:"} {
		if code != cli.ExitOK || !strings.Contains(out, want) {
			t.Errorf("eval cover text lacks %q:\n%s", want, out)
		}
	}
}

// TestCalibrateCover: a calibration fitted where the threshold misses the torn loads is
// better on the held-out folds, is written next to the config and named in its cover block,
// and eval then judges with it.
func TestCalibrateCover(t *testing.T) {
	images := t.TempDir()
	labels := writeCoverSet(t, images, 12)
	dir := t.TempDir()
	cfgPath := coverConfig(t, dir, "0.8")
	base := []string{"--config", cfgPath, "--camera", "bed", "--images", images, "--labels", labels}
	code, out, errs := runMud(append([]string{"calibrate", "cover"}, base...)...)
	if code != cli.ExitOK || !strings.Contains(out, "cover:\n  scorer: clitest\n  threshold: ") || !strings.Contains(out, "calibration: cover-calibration-bed.json") ||
		strings.Contains(out, "polygon") {
		t.Fatalf("calibrate cover printed (exit %d) %s %s", code, out, errs)
	}
	code, out, errs = runMud(append([]string{"calibrate", "cover", "--json", "--write"}, base...)...)
	var rep struct {
		Version string
		Frames  int
		Muddy   int
		Before  struct{ F1 float64 }
		After   struct{ F1, Threshold float64 }
		Written string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("calibrate cover --json: %v: %q %s", err, out, errs)
	}
	if code != cli.ExitOK || rep.Frames != 48 || rep.Muddy != 36 || rep.After.F1 <= rep.Before.F1 || rep.Written != filepath.Join(dir, "cover-calibration-bed.json") {
		t.Fatalf("exit %d, report %+v, %s", code, rep, errs)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cv := cfg.Lanes[0].Cameras[0].Cover
	cal, err := mud.LoadCalibration(cv.Calibration)
	if err != nil || cal.Version != rep.Version || cv.Threshold != cal.Threshold || cal.Scorer != "clitest" {
		t.Fatalf("config cover %+v, calibration %+v, %v", cv, cal, err)
	}
	if cfg.Lanes[0].Cameras[0].Mud.Calibration != "" {
		t.Fatal("calibrate cover wrote the mud block")
	}
	raw, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(raw), "# the gantry camera over the bed") {
		t.Errorf("--write lost the file's comments:\n%s", raw)
	}
	code, out, errs = runMud(append([]string{"eval", "cover", "--json"}, base...)...)
	var after coverEval
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &after) != nil || after.F1 <= 0.9 || after.Kinds.Accuracy <= 0.75 {
		t.Fatalf("eval with the calibration: exit %d %s %s", code, out, errs)
	}
	code, out, _ = runMud(append([]string{"calibrate", "cover"}, base...)...)
	t.Logf("sitegate calibrate cover (after --write):\n%s", out)
	if code != cli.ExitOK && code != cli.ExitUsage || !strings.Contains(out, "not covered") {
		t.Fatalf("calibrate cover text: exit %d %s", code, out)
	}
}

func TestEvalCoverUsage(t *testing.T) {
	dir := t.TempDir()
	cfgPath := coverConfig(t, dir, "0.5")
	mudOnly := mudConfig(t, t.TempDir(), "classic", "0.5")
	labels := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(labels, []byte("file,label\na.jpg,muddy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown check", []string{"eval", "wash", "--config", cfgPath}, "usage: sitegate eval mud|cover"},
		{"no cover block", []string{"eval", "cover", "--config", mudOnly, "--camera", "wheels", "--images", dir, "--labels", labels}, "has no cover block"},
		{"mud labels", []string{"calibrate", "cover", "--config", cfgPath, "--camera", "bed", "--images", dir, "--labels", labels},
			`label "muddy" is not covered, open, torn, heaped or uncovered`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runMud(tc.args...)
			if code != cli.ExitUsage || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, output %q, want usage error with %q", code, out+errs, tc.want)
			}
		})
	}
}

// TestLearnCover: the cover check's reviewed frames (not the camera's mud frames) fit the
// camera's cover model, adopted into the cover models' folder when it beats the threshold in
// force on held-out frames, and rolled back from there.
func TestLearnCover(t *testing.T) {
	images := t.TempDir()
	labels := writeCoverSet(t, images, 12)
	cfgPath := coverConfig(t, t.TempDir(), "0.8")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	store, err := framestore.Open(mudlearn.FramesDir(cfg.Store.Dir), framestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, ",")
		frame, err := os.ReadFile(filepath.Join(images, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("p%02d", i)
		k := framestore.Kept{PassageID: id, Camera: "bed", Check: "cover", At: time.Now(), Scorer: "clitest", Crops: []string{"bed.jpg"}}
		if err := store.Put(k, frame, [][]byte{frame}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Label(id, "cover", f[1], "officer"); err != nil {
			t.Fatal(err)
		}
		if i < 6 { // the same camera's mud frames, reviewed: not the cover check's to learn from
			k.Check = "mud"
			if err := store.Put(k, frame, [][]byte{frame}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Label(id, "mud", "muddy", "officer"); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := []string{"--config", cfgPath, "--camera", "bed"}
	code, out, errs := runMud(append([]string{"learn", "cover", "--json"}, base...)...)
	var rep mudlearn.Report
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("learn cover: exit %d %q %s", code, out, errs)
	}
	if rep.Reviewed != 48 || rep.Muddy != 36 || rep.Clean != 12 || !rep.Improves || rep.Adopted || rep.F1After <= rep.F1Before || rep.ModelBefore != "clitest/shipped" {
		t.Fatalf("learn cover without --write: %+v", rep)
	}
	code, out, errs = runMud(append([]string{"learn", "cover", "--write"}, base...)...)
	t.Logf("sitegate learn cover --write:\n%s", out)
	if code != cli.ExitOK || !strings.Contains(out, "36 not covered, 12 covered") || !strings.Contains(out, "adopted: clitest/bed-v1 is in force") {
		t.Fatalf("learn cover --write: exit %d %q %s", code, out, errs)
	}
	if m, err := mudlearn.Open(mudlearn.ModelsDirOf(cfg.Store.Dir, "cover"), "bed").Current(); err != nil || m == nil || m.Version != 1 || m.Head.Scorer != "clitest" {
		t.Fatalf("cover model in force %+v, %v", m, err)
	}
	if m, err := mudlearn.Open(mudlearn.ModelsDir(cfg.Store.Dir), "bed").Current(); err != nil || m != nil {
		t.Fatalf("learn cover wrote a mud model: %+v, %v", m, err)
	}
	code, out, _ = runMud(append([]string{"learn", "cover", "--rollback", "--json"}, base...)...)
	if code != cli.ExitOK || strings.TrimSpace(out) != `{"camera":"bed","model":"clitest/shipped"}` {
		t.Fatalf("rollback: exit %d %q", code, out)
	}
	if code, _, errs := runMud("learn", "cover", "--config", mudConfig(t, t.TempDir(), "classic", "0.5"), "--camera", "wheels"); code != cli.ExitUsage || !strings.Contains(errs, "has no cover block") {
		t.Fatalf("learn cover on a mud camera: exit %d %s", code, errs)
	}
}
