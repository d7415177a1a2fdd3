//go:build !nocv

package quality

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// WorkWidth is the width of the greyscale copy a frame is judged on: enough to see focus and
// blobs, small enough to cost well under a millisecond a frame.
const WorkWidth = 480

// GreyOf is frame (8-bit BGR, BGRA or grey) as a greyscale copy WorkWidth wide (never
// enlarged), its aspect kept.
func GreyOf(frame gocv.Mat) (Grey, error) {
	if frame.Empty() || frame.Cols() < 8 || frame.Rows() < 8 {
		return Grey{}, fmt.Errorf("quality: no frame to judge")
	}
	grey := gocv.NewMat()
	defer grey.Close()
	switch frame.Type() {
	case gocv.MatTypeCV8UC3:
		gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
	case gocv.MatTypeCV8UC4:
		gocv.CvtColor(frame, &grey, gocv.ColorBGRAToGray)
	case gocv.MatTypeCV8UC1:
		frame.CopyTo(&grey)
	default:
		return Grey{}, fmt.Errorf("quality: unsupported frame type %v", frame.Type())
	}
	w, h := grey.Cols(), grey.Rows()
	if w > WorkWidth {
		h = max(8, h*WorkWidth/w)
		w = WorkWidth
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(grey, &small, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
		return Grey{Pix: small.ToBytes(), W: w, H: h}, nil
	}
	return Grey{Pix: grey.ToBytes(), W: w, H: h}, nil
}

// Judge converts frame and assesses it (Assess).
func Judge(frame gocv.Mat, boxes []Box, ref *Reference, lim Limits) (Verdict, Grey, error) {
	g, err := GreyOf(frame)
	if err != nil {
		return Verdict{}, Grey{}, err
	}
	return Assess(g, boxes, ref, lim), g, nil
}
