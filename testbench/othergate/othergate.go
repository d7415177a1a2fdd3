//go:build !nocv

package othergate

import (
	"fmt"
	"image"
	"os"

	"gocv.io/x/gocv"

	"sitegate/testbench/scene"
)

// The gate's camera: how far back (the truck's scale) and its colour gains.
const (
	Zoom                = 0.8
	GainR, GainG, GainB = 1.3, 1.0, 0.7
	roadB, roadG, roadR = 110, 112, 115
)

// Frame draws spec at w×h as this gate's camera delivers it (after the spec's JPEG
// compression). The caller closes the returned BGR Mat.
func Frame(spec scene.Spec, w, h int) (gocv.Mat, error) {
	src, err := scene.Frame(spec, w, h)
	if err != nil {
		return src, err
	}
	defer src.Close()
	return View(src), nil
}

// View is src as this gate's camera sees it. The caller closes the result.
func View(src gocv.Mat) gocv.Mat {
	small := gocv.NewMat()
	defer small.Close()
	w, h := int(float64(src.Cols())*Zoom), int(float64(src.Rows())*Zoom)
	gocv.Resize(src, &small, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
	canvas := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(roadB, roadG, roadR, 0), src.Rows(), src.Cols(), gocv.MatTypeCV8UC3)
	x0, y0 := (src.Cols()-w)/2, src.Rows()-h
	roi := canvas.Region(image.Rect(x0, y0, x0+w, y0+h))
	small.CopyTo(&roi)
	roi.Close()
	b := canvas.ToBytes()
	canvas.Close()
	for i := 0; i+2 < len(b); i += 3 {
		b[i] = uint8(min(255, float64(b[i])*GainB))
		b[i+1] = uint8(min(255, float64(b[i+1])*GainG))
		b[i+2] = uint8(min(255, float64(b[i+2])*GainR))
	}
	out, err := gocv.NewMatFromBytes(src.Rows(), src.Cols(), gocv.MatTypeCV8UC3, b)
	if err != nil {
		return gocv.NewMatWithSize(src.Rows(), src.Cols(), gocv.MatTypeCV8UC3)
	}
	return out
}

// WriteClip writes a Motion-JPEG clip of frames of a truck standing at this gate, fresh noise
// in every frame.
func WriteClip(path string, truck scene.Spec, frames, w, h int) error {
	os.Remove(path)
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, w, h, true)
	if err != nil {
		return fmt.Errorf("othergate clip %s: %w", path, err)
	}
	for i := 0; i < frames; i++ {
		s := truck
		s.Seed = truck.Seed + uint64(i)*7919
		s.JPEGQuality = 0
		m, err := scene.Render(s, w, h)
		if err != nil {
			vw.Close()
			return err
		}
		v := View(m)
		m.Close()
		err = vw.Write(v)
		v.Close()
		if err != nil {
			vw.Close()
			return err
		}
	}
	return vw.Close()
}
