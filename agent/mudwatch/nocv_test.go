//go:build nocv

package mudwatch

import (
	"strings"
	"testing"

	"sitegate/agent/checks"
	"sitegate/models/mud"
)

func TestNoVision(t *testing.T) {
	w := New(Options{CameraID: "wheels", Threshold: 0.5, Scorer: mud.Config{Scorer: mud.Classic}})
	w.SetActive(true)
	out := w.Take(checks.Caption{})
	if out.Judged || !strings.Contains(out.Reason, "-tags nocv") || out.Camera != "wheels" {
		t.Fatalf("outcome %+v", out)
	}
	if _, err := mud.New(mud.Config{Scorer: mud.ONNX}); err == nil || !strings.Contains(err.Error(), "vision") {
		t.Fatalf("mud.New err = %v", err)
	}
}
