//go:build !nocv

package frames

import (
	"errors"
	"fmt"

	"gocv.io/x/gocv"
)

// Frames a scorer accepts are MinSide to MaxSide pixels a side; anything larger is a decoder
// fault, anything smaller has nothing to judge.
const (
	MinSide = 8
	MaxSide = 16384
)

// BGR checks frame and returns it as 8-bit BGR: frame itself when it already is, else a
// converted copy of a greyscale or BGRA frame. release closes what the conversion made (nothing,
// for frame itself); call it when done with bgr. On error there is nothing to release.
func BGR(frame gocv.Mat) (bgr gocv.Mat, release func(), err error) {
	if frame.Empty() {
		return frame, nil, errors.New("empty frame")
	}
	if w, h := frame.Cols(), frame.Rows(); w < MinSide || h < MinSide || w > MaxSide || h > MaxSide {
		return frame, nil, fmt.Errorf("frame size %dx%d out of range", w, h)
	}
	var code gocv.ColorConversionCode
	switch frame.Type() {
	case gocv.MatTypeCV8UC3:
		return frame, func() {}, nil
	case gocv.MatTypeCV8UC1:
		code = gocv.ColorGrayToBGR
	case gocv.MatTypeCV8UC4:
		code = gocv.ColorBGRAToBGR
	default:
		return frame, nil, fmt.Errorf("unsupported frame type %v", frame.Type())
	}
	out := gocv.NewMat()
	gocv.CvtColor(frame, &out, code)
	return out, func() { out.Close() }, nil
}
