package config

import (
	"strings"
	"testing"
)

func TestMudLearningValidation(t *testing.T) {
	base := "site: s1\ngateway: g1\nlanes:\n  - id: exit-1\n    scale: {port: /dev/ttyUSB0}\n    cameras:\n      - id: wheels\n        url: /tmp/x.avi\n"
	cases := []struct{ name, extra, want string }{
		{"defaults", "", ""},
		{"auto", "        mud: {learn: auto, learn_every: 10, empty_lane: learn}\n", ""},
		{"bad learn", "        mud: {learn: sometimes}\n", "lanes[0].cameras[0].mud.learn"},
		{"learn_every", "        mud: {learn_every: 2}\n", "lanes[0].cameras[0].mud.learn_every"},
		{"empty_lane", "        mud: {empty_lane: guess}\n", "lanes[0].cameras[0].mud.empty_lane"},
		{"frames", "store: {frames: {max_bytes: 10}}\n", "store.frames.max_bytes"},
		{"frames age", "store: {frames: {max_age: 1m}}\n", "store.frames.max_age"},
		{"debounce", "alarms: {debounce: -1s}\n", "alarms.debounce"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := base + tc.extra
			if strings.HasPrefix(tc.extra, "store") || strings.HasPrefix(tc.extra, "alarms") {
				src = tc.extra + base
			}
			c, err := Parse([]byte(src), t.TempDir())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Store.Frames.MaxBytes != 1<<30 || c.Alarms.Debounce.D().Seconds() != 30 || c.Lanes[0].Cameras[0].Mud.LearnEvery == 0 {
					t.Errorf("defaults not applied: %+v %+v %+v", c.Store.Frames, c.Alarms, c.Lanes[0].Cameras[0].Mud)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %s", err, tc.want)
			}
		})
	}
}
