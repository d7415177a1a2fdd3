package config_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	config "sitegate/firmware-config"
)

func TestWashCamera(t *testing.T) {
	const bay = `wash: {rois: [{name: bay, polygon: [[0.1, 0.3], [0.9, 0.3], [0.9, 0.95], [0.1, 0.95]]}]}`
	cases := []struct {
		name  string
		lane  string // appended under the lane
		paths []string
	}{
		{"camera source", "    wash: {source: camera, camera: bay}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", " + bay + "}]\n", nil},
		{"modbus source, a camera with a wash block", "    wash: {source: modbus, modbus: {address: \"192.168.1.50:502\"}}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", " + bay + "}]\n", nil},
		{"no camera named", "    wash: {source: camera}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", " + bay + "}]\n", []string{"lanes[0].wash.camera"}},
		{"unknown camera", "    wash: {source: camera, camera: yard}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", " + bay + "}]\n", []string{"lanes[0].wash.camera"}},
		{"camera without a wash block", "    wash: {source: camera, camera: bay}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\"}]\n", []string{"lanes[0].cameras[0].wash.rois"}},
		{"bad tuning", "    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", wash: {rois: [{name: bay, polygon: [[0, 0], [1, 0], [1.5, 1]]}], cols: 1, rows: 99, cell_diff: 0, texture_diff: 20, on_share: 0.1, off_share: 0.2, min_on: 20m, min_off: -1s, learn: 0, relearn: 1s}}]\n",
			[]string{"lanes[0].cameras[0].wash.rois[0].polygon[2]", "lanes[0].cameras[0].wash.cols", "lanes[0].cameras[0].wash.rows", "lanes[0].cameras[0].wash.cell_diff",
				"lanes[0].cameras[0].wash.texture_diff", "lanes[0].cameras[0].wash.off_share", "lanes[0].cameras[0].wash.min_on", "lanes[0].cameras[0].wash.min_off",
				"lanes[0].cameras[0].wash.learn", "lanes[0].cameras[0].wash.relearn"}},
		{"unknown key", "    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", wash: {region: []}}]\n", []string{"lanes[0].cameras[0].wash.region"}},
		{"bad source", "    wash: {source: gpio}\n", []string{"lanes[0].wash.source"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(plateBase+c.lane), t.TempDir())
			var got []string
			var ps config.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					got = append(got, p.Path)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Clone(c.paths)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems at %v, want %v\n%v", got, want, err)
			}
		})
	}
	cfg, err := config.Parse([]byte(plateBase+"    wash: {source: camera, camera: bay}\n    cameras: [{id: bay, url: \"rtsp://192.168.1.65/101\", "+bay+"}]\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Lanes[0].Cameras[0].Wash
	if w.Cols != 16 || w.Rows != 10 || w.OnShare != 0.30 || w.OffShare != 0.12 || w.MinOn.D() != 6*time.Second || w.MinOff.D() != 4*time.Second || w.Relearn.D() != 30*time.Minute {
		t.Errorf("defaults: %+v", w)
	}
	if cfg.Lanes[0].Wash.Source != config.WashFromCamera || cfg.Lanes[0].Wash.Camera != "bay" {
		t.Errorf("lane wash %+v", cfg.Lanes[0].Wash)
	}
}
