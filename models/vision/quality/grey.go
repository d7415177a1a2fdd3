//go:build !nocv

package quality

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"
)

// WorkWidth is the width of the greyscale copy a frame is judged on: enough to see focus and
// blobs, small enough to cost well under a millisecond a frame.
const WorkWidth = 480

// GreyOf is frame (8-bit BGR, BGRA or grey) as a greyscale copy about WorkWidth wide: scaled
// down by the whole factor that comes nearest (never enlarged), its aspect kept.
func GreyOf(frame gocv.Mat) (Grey, error) { return greyOf(frame, WorkWidth) }

// greyOf is frame in grey, scaled down by the whole factor that brings it nearest to width
// (a whole factor takes OpenCV's fast path of area averaging).
func greyOf(frame gocv.Mat, width int) (Grey, error) {
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
	if k := int(math.Round(float64(w) / float64(width))); k > 1 {
		w, h = max(8, w/k), max(8, h/k)
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(grey, &small, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
		return Grey{Pix: small.ToBytes(), W: w, H: h}, nil
	}
	return Grey{Pix: grey.ToBytes(), W: w, H: h}, nil
}

// Judge assesses frame (Assess) on a greyscale copy of the part the boxes cover, at the scale
// a WorkWidth-wide copy of the whole frame would have.
func Judge(frame gocv.Mat, boxes []Box, ref *Reference, lim Limits) (Verdict, error) {
	g, inner, err := regionGrey(frame, boxes)
	if err != nil {
		return Verdict{}, err
	}
	return Assess(g, inner, ref, lim), nil
}

// Learn teaches ref a frame of the empty lane, as Judge will compare frames with it.
func Learn(ref *Reference, frame gocv.Mat, boxes []Box) error {
	g, inner, err := regionGrey(frame, boxes)
	if err != nil {
		return err
	}
	ref.Learn(g, inner)
	return nil
}

// regionGrey is the grey copy of the part of frame the boxes cover, and the boxes relative to
// it.
func regionGrey(frame gocv.Mat, boxes []Box) (Grey, []Box, error) {
	if frame.Empty() || frame.Cols() < 8 || frame.Rows() < 8 {
		return Grey{}, nil, fmt.Errorf("quality: no frame to judge")
	}
	u, inner := union(boxes)
	w, h := frame.Cols(), frame.Rows()
	r := image.Rect(int(u.X0*float64(w)), int(u.Y0*float64(h)), int(u.X1*float64(w)+0.999), int(u.Y1*float64(h)+0.999)).Intersect(image.Rect(0, 0, w, h))
	if r.Dx() < 8 || r.Dy() < 8 {
		r, inner = image.Rect(0, 0, w, h), boxes
	}
	sub := frame.Region(r)
	defer sub.Close()
	k := max(1, int(math.Round(float64(w)/WorkWidth)))
	g, err := greyOf(sub, max(8, r.Dx()/k))
	return g, inner, err
}
