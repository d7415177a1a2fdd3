//go:build !nocv

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/cli"
	config "sitegate/firmware-config"
	"sitegate/testbench/scene"
)

func runMud(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// mudConfig writes a config whose camera "wheels" checks the scene's regions with scorer.
func mudConfig(t *testing.T, dir, scorer string, threshold string) string {
	t.Helper()
	model, err := filepath.Abs("../../models/mud/model/mud-cnn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rois strings.Builder
	for _, r := range scene.Regions {
		rois.WriteString("          - name: " + r.Name + "\n            polygon: [")
		for i, p := range r.Polygon {
			if i > 0 {
				rois.WriteString(", ")
			}
			rois.WriteString("[" + ftoa(p[0]) + ", " + ftoa(p[1]) + "]")
		}
		rois.WriteString("]\n")
	}
	cfg := `site: test-site
gateway: gw-01
lanes:
  - id: exit-1
    scale:
      port: /dev/ttyUSB0
    cameras:
      - id: wheels   # the wheel camera
        url: rtsp://127.0.0.1:8554/wheels
        rois:
` + rois.String() + `        mud:
          scorer: ` + scorer + `
          threshold: ` + threshold + `
          model: ` + model + `
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

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestEvalAndCalibrateMud(t *testing.T) {
	images := t.TempDir()
	// Frames of a gate the shipped threshold (0.99 below) does not suit, so that calibration
	// has something to improve: at the reference gate the scorers are right at 0.99 already,
	// and calibrate rightly refuses to write a fit no better than that.
	labels, err := scene.WriteSet(images, scene.SetOptions{Seed: 1500, PerCell: 2, Gates: scene.Gates(1500, 1, "test")})
	if err != nil {
		t.Fatal(err)
	}
	for _, scorer := range []string{"classic", "onnx"} {
		t.Run(scorer, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := mudConfig(t, dir, scorer, "0.99")
			base := []string{"--config", cfgPath, "--camera", "wheels", "--images", images, "--labels", labels}

			code, out, errs := runMud(append([]string{"eval", "mud", "--json"}, base...)...)
			if code != 0 {
				t.Fatalf("eval exit %d: %s", code, errs)
			}
			var rep struct {
				Precision, Recall, F1 float64
				Confusion             struct{ TP, FP, TN, FN int }
				By                    map[string]map[string]struct{ N int }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("eval --json: %v: %s", err, out)
			}
			c := rep.Confusion
			if c.TP+c.FP+c.TN+c.FN != 20 || len(rep.By["condition"]) != len(scene.Conditions) || rep.By["condition"]["rain"].N != 4 || rep.By["blur"] != nil {
				t.Fatalf("report %s", out)
			}

			code, out, errs = runMud(append([]string{"calibrate", "mud", "--write"}, base...)...)
			if code != 0 {
				t.Fatalf("calibrate exit %d: %s", code, errs)
			}
			if !strings.Contains(out, "mud:\n  scorer: "+scorer+"\n  threshold: ") {
				t.Fatalf("calibrate printed %s", out)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			th := cfg.Lanes[0].Cameras[0].Mud.Threshold
			if th == 0.99 || th <= 0 || th >= 1 {
				t.Fatalf("threshold after --write: %v", th)
			}
			raw, _ := os.ReadFile(cfgPath)
			if !strings.Contains(string(raw), "# the wheel camera") {
				t.Errorf("--write lost the file's comments:\n%s", raw)
			}
			// At the calibrated threshold eval is at least as good as at 0.99.
			code, out, _ = runMud(append([]string{"eval", "mud", "--json"}, base...)...)
			var after struct{ F1 float64 }
			if code != 0 || json.Unmarshal([]byte(out), &after) != nil || after.F1 < rep.F1 {
				t.Errorf("F1 after calibration %v, before %v", after.F1, rep.F1)
			}
			code, out, _ = runMud(append([]string{"eval", "mud"}, base...)...)
			if code != 0 || !strings.Contains(out, "by condition:") || !strings.Contains(out, "confusion") {
				t.Errorf("eval text: %s", out)
			}
		})
	}
}

func TestEvalMudUsage(t *testing.T) {
	dir := t.TempDir()
	cfgPath := mudConfig(t, dir, "classic", "0.5")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"eval"}, "usage"},
		{"missing flags", []string{"eval", "mud", "--config", cfgPath}, "usage"},
		{"unknown camera", []string{"eval", "mud", "--config", cfgPath, "--camera", "nope", "--images", dir, "--labels", "x.csv"}, "no camera"},
		{"missing labels", []string{"calibrate", "mud", "--config", cfgPath, "--camera", "wheels", "--images", dir, "--labels", filepath.Join(dir, "x.csv")}, "no such file"},
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
