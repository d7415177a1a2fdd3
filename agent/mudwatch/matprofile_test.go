//go:build matprofile && !nocv

package mudwatch

import (
	"bytes"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/agent/checks"
	"sitegate/agent/framestore"
	"sitegate/drivers/camera"
	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

// TestNoMatLeak runs a camera and its mud check through analyses, Takes with evidence, and
// shutdown, and checks every Mat is closed. Run with:
//
//	go test -tags matprofile -run NoMatLeak ./agent/mudwatch/
func TestNoMatLeak(t *testing.T) {
	path := muddyClip(t, scene.Heavy)
	store, err := framestore.Open(t.TempDir(), framestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := gocv.MatProfile.Count()
	for _, sc := range []mud.Config{{Scorer: mud.Classic}, {Scorer: mud.ONNX, Model: "../../models/mud/model/mud-cnn.yaml"}} {
		cam := camera.New(camera.Options{ID: "wheels", URL: path, Logger: quiet})
		stopCam := run(t, cam.Run)
		w := New(Options{CameraID: "wheels", Camera: cam, Regions: regions(), Scorer: sc, Threshold: 0.5, Rate: 30, Logger: quiet, Store: store})
		stopW := run(t, w.Run)
		w.SetActive(true)
		for i := 0; i < 3; i++ {
			waitFor(t, "analyses", func() bool { return w.Analysed() >= 2 })
			if out := w.Take(checks.Caption{Plate: "浙F12345", PassageID: "p" + string(rune('0'+i))}); !out.Judged {
				t.Fatalf("not judged: %+v", out)
			}
		}
		waitFor(t, "a kept frame", func() bool { return w.Analysed() >= 2 })
		stopW() // with a frame still kept
		stopCam()
	}
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("Mat count %d after, %d before:\n%s", after, before, b.String())
	}
}
