//go:build matprofile && !nocv

package camera

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/testbench/clip"
)

// TestNoMatLeak checks that every Mat the camera creates is closed once Run has returned, through
// streaming, looping, snapshots, a missing file and a recovery. Run with:
//
//	go test -tags matprofile -run TestNoMatLeak ./drivers/camera/
func TestNoMatLeak(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "clip.avi")
	if err := clip.Generate(good, clip.Options{Width: 160, Height: 96, FPS: 20, Seconds: 0.5}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		url  string
	}{
		{"clip", good},
		{"missing file", filepath.Join(dir, "missing.avi")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := gocv.MatProfile.Count()
			c := New(Options{ID: "leak", URL: tc.url, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet})
			stop := start(t, c)
			waitFor(t, "a few cycles", func() bool {
				st := c.Status()
				return st.Frames > 25 || st.Reopens > 3
			})
			for i := 0; i < 5; i++ {
				c.Snapshot(85)
				c.Latest(func(gocv.Mat, time.Time) {})
			}
			stop()
			if after := gocv.MatProfile.Count(); after != before {
				var b bytes.Buffer
				gocv.MatProfile.WriteTo(&b, 1)
				t.Fatalf("Mat count %d after Run, %d before:\n%s", after, before, b.String())
			}
		})
	}
}
