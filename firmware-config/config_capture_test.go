package config_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	config "sitegate/firmware-config"
)

func TestCameraCapture(t *testing.T) {
	cases := []struct {
		name  string
		cam   string // the camera's keys after its id and url
		paths []string
	}{
		{"defaults", ``, nil},
		{"continuous, all clips", `, capture: continuous, clip: {before: 3s, after: 2s, max_bytes: 4MiB, upload: all}`, nil},
		{"snapshot", `, capture: snapshot, snapshot_url: "http://192.168.1.64/ISAPI/Streaming/channels/101/picture"`, nil},
		{"snapshot without url", `, capture: snapshot`, []string{"lanes[0].cameras[0].snapshot_url"}},
		{"bad mode and clip", `, capture: sometimes, clip: {before: 2m, after: -1s, max_bytes: 1GiB, upload: maybe}`,
			[]string{"lanes[0].cameras[0].capture", "lanes[0].cameras[0].clip.before", "lanes[0].cameras[0].clip.after",
				"lanes[0].cameras[0].clip.max_bytes", "lanes[0].cameras[0].clip.upload"}},
		{"login in the snapshot url", `, capture: snapshot, snapshot_url: "http://admin:pw@192.168.1.64/snap.jpg"`, []string{"lanes[0].cameras[0].snapshot_url"}},
		{"unknown clip key", `, clip: {during: 1s}`, []string{"lanes[0].cameras[0].clip.during"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(plateBase+"    cameras: [{id: wheels, url: \"rtsp://192.168.1.64/101\""+c.cam+"}]\n"), t.TempDir())
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
	cfg, err := config.Parse([]byte(plateBase+"    cameras: [{id: wheels, url: \"rtsp://192.168.1.64/101\"}]\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Lanes[0].Cameras[0]
	if c.Capture != "on_demand" || c.Clip.Before.D() != 5*time.Second || c.Clip.After.D() != 5*time.Second || c.Clip.Upload != "alarms" || c.Clip.MaxBytes != 16<<20 {
		t.Errorf("defaults: %+v", c)
	}
}
