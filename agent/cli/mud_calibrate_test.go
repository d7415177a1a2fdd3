//go:build !nocv

package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"sitegate/agent/cli"
	config "sitegate/firmware-config"
	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

// TestCalibrateMudJSONAndRefusal: --json reports the held-out figures before and after, a
// written calibration is named in the config and used by eval, and too few frames of a class
// are refused with exit 2, the reason, and nothing written.
func TestCalibrateMudJSONAndRefusal(t *testing.T) {
	images := t.TempDir()
	// At a gate the reference-gate threshold 0.99 does not suit.
	labels, err := scene.WriteSet(images, scene.SetOptions{Seed: 1600, PerCell: 3, Gates: scene.Gates(1601, 1, "test")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := mudConfig(t, dir, "classic", "0.99")
	base := []string{"--config", cfgPath, "--camera", "wheels", "--images", images, "--labels", labels}
	code, out, errs := runMud(append([]string{"calibrate", "mud", "--json", "--write"}, base...)...)
	var rep struct {
		Version string
		Frames  int
		Folds   int
		Stage   string
		Before  struct{ F1 float64 }
		After   struct {
			F1        float64
			Threshold float64
		}
		Refused string
		Written string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("calibrate --json: %v: %q %s", err, out, errs)
	}
	t.Logf("exit %d: %s %s", code, out, errs)
	if code != cli.ExitOK || rep.Frames != 30 || rep.Folds != 5 || rep.After.F1 <= rep.Before.F1 || rep.Version == "" || rep.Written == "" || rep.Refused != "" {
		t.Fatalf("exit %d, report %+v, %s", code, rep, errs)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Lanes[0].Cameras[0].Mud
	cal, err := mud.LoadCalibration(m.Calibration)
	if err != nil || cal.Version != rep.Version || m.Threshold != cal.Threshold {
		t.Fatalf("config mud %+v, calibration %+v, %v", m, cal, err)
	}
	if code, _, errs := runMud(append([]string{"eval", "mud", "--json"}, base...)...); code != 0 {
		t.Fatalf("eval with the calibration: exit %d %s", code, errs)
	}

	few := t.TempDir()
	labels, err = scene.WriteSet(few, scene.SetOptions{Seed: 1602, PerCell: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath = mudConfig(t, t.TempDir(), "classic", "0.5")
	code, out, errs = runMud("calibrate", "mud", "--write", "--config", cfgPath, "--camera", "wheels", "--images", few, "--labels", labels)
	if code != cli.ExitUsage || !strings.Contains(errs, "at least 10 of each") || !strings.Contains(errs, "nothing written") || !strings.Contains(out, "before (threshold 0.500)") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	if cfg, err := config.Load(cfgPath); err != nil || cfg.Lanes[0].Cameras[0].Mud.Calibration != "" || cfg.Lanes[0].Cameras[0].Mud.Threshold != 0.5 {
		t.Fatalf("a refused calibration changed the config: %v", err)
	}
}
