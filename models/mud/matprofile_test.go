//go:build matprofile && !nocv

package mud

import (
	"bytes"
	"testing"

	"gocv.io/x/gocv"

	"sitegate/testbench/scene"
)

// TestScorersNoMatLeak checks that scoring, including failures, closes every Mat it makes. Run:
//
//	go test -tags matprofile -run NoMatLeak ./models/mud/
func TestScorersNoMatLeak(t *testing.T) {
	regions := sceneRegions()
	ss := scorers(t)
	frame, err := scene.Frame(scene.Spec{Seed: 3, Condition: scene.NightIR, Severity: scene.Heavy, Shape: scene.Mixer, Cab: "white", Body: "grey"}, 640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer frame.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
	before := gocv.MatProfile.Count()
	for i := 0; i < 3; i++ {
		for _, s := range ss {
			s.Score(frame, regions)
			s.Score(grey, regions)
			s.Score(frame, []Region{{Name: "line", Polygon: [][2]float64{{0.5, 0}, {0.5, 0.5}, {0.5, 1}}}})
		}
		Features(frame, regions)
		Patches(frame, regions, 96, 32)
	}
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("Mat count %d after scoring, %d before:\n%s", after, before, b.String())
	}
}
