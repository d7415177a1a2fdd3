//go:build !nocv

package camera

import "testing"

// TestWatchDecodesKeyFramesWhileIdle: a watching on-demand camera has current frames with no
// demand, decoding only the key frames (the test stream has one in five pictures), and every
// picture again with demand.
func TestWatchDecodesKeyFramesWhileIdle(t *testing.T) {
	url := rtspStream(t)
	c := New(Options{ID: "bay", URL: url, Capture: CaptureOnDemand, Watch: true, Logger: quiet})
	stop := start(t, c)
	defer stop()
	waitFor(t, "a frame with no demand", func() bool { return c.Status().Frames >= 3 })
	if _, _, err := c.Snapshot(85); err != nil {
		t.Fatalf("a watching camera's snapshot: %v", err)
	}
	// Over the same pictures, the idle camera decodes about a fifth of what it receives.
	waitFor(t, "the idle decode rate", func() bool { st := c.Status(); return st.DecodedFPS > 0 })
	idle := c.Status()
	if idle.Demand || idle.DecodedFPS > 5 {
		t.Errorf("idle watching camera decodes %.1f pictures/s of a 10 fps stream: %+v", idle.DecodedFPS, idle)
	}
	c.SetDemand(true)
	waitFor(t, "every picture decoded with demand", func() bool { return c.Status().DecodedFPS > 6 })
	c.SetDemand(false)
	before := c.Status().Frames
	waitFor(t, "frames again after the demand", func() bool { return c.Status().Frames > before+2 })
	if _, _, err := c.Snapshot(85); err != nil {
		t.Errorf("after the demand: %v", err)
	}
}
