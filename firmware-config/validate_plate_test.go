package config_test

import (
	"errors"
	"slices"
	"testing"

	_ "sitegate/agent/checks/all" // the check names hold_on may use
	_ "sitegate/drivers/indicator/all"
	_ "sitegate/drivers/plate/all"
	config "sitegate/firmware-config"
)

const plateBase = `site: s
gateway: g
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
`

func TestPlateCamerasAndBarrier(t *testing.T) {
	cases := []struct {
		name  string
		lane  string // appended under the lane
		paths []string
	}{
		{"none", ``, nil},
		{"generic push camera, advise", `    plate: {cameras: [{id: front}]}
    barrier: {mode: advise, via: front}
`, nil},
		{"defaults of a camera", `    plate: {cameras: [{id: front}]}
    barrier: {mode: enforce, via: front, hold_on: [overload, no_plate]}
`, nil},
		{"bad camera", `    plate: {cameras: [{id: Front, vendor: nope, mode: sideways, url: "ftp://x", password_file: p}, {id: b, vendor: generic, mode: pull}]}
`, []string{"lanes[0].plate.cameras[0].id", "lanes[0].plate.cameras[0].mode", "lanes[0].plate.cameras[0].url", "lanes[0].plate.cameras[0].username",
			"lanes[0].plate.cameras[1].vendor", "lanes[0].plate.cameras[1].url"}},
		{"credentials in the url", `    plate: {cameras: [{id: front, url: "http://admin:12345@192.168.1.64"}]}
`, []string{"lanes[0].plate.cameras[0].url"}},
		{"duplicate ids", `    plate: {cameras: [{id: front}, {id: front}]}
`, []string{"lanes[0].plate.cameras[1].id"}},
		{"barrier", `    plate: {cameras: [{id: front}]}
    barrier: {mode: enforce, via: rear, hold_on: [overload, mood]}
`, []string{"lanes[0].barrier.via", "lanes[0].barrier.hold_on[1]"}},
		{"enforce without via", `    barrier: {mode: enforce}
`, []string{"lanes[0].barrier.via"}},
		{"barrier mode", `    barrier: {mode: open}
`, []string{"lanes[0].barrier.mode"}},
		{"entry lane", `    direction: entry
    barrier: {mode: advise}
`, []string{"lanes[0].barrier.mode"}},
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
}

func TestPlateCameraDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(plateBase+`    plate: {cameras: [{id: front, vendor: generic, username: admin, password_file: front.pass}]}
`), "/etc/sitegate")
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Lanes[0]
	c := l.Plate.Cameras[0]
	if c.Mode != "push" || c.PasswordFile != "/etc/sitegate/front.pass" {
		t.Errorf("camera %+v", c)
	}
	if l.Barrier.Mode != config.BarrierOff || !slices.Equal(l.Barrier.HoldOn, []string{"overload", "mud", "registry", "permit"}) {
		t.Errorf("barrier %+v", l.Barrier)
	}
}
