//go:build !nocv

package washscene

import (
	"fmt"
	"os"

	"gocv.io/x/gocv"
)

// WriteClip writes the scene as a Motion-JPEG AVI of w x h at fps frames a second, for
// drivers/camera to play as a wash-bay camera.
func WriteClip(path string, sc Script, w, h int, fps float64) error {
	if w < 16 || h < 16 || fps <= 0 || sc.Seconds <= 0 {
		return fmt.Errorf("wash clip %s: bad size, rate or length", path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("wash clip %s: %w", path, err)
	}
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, w, h, true)
	if err != nil {
		return fmt.Errorf("wash clip %s: %w", path, err)
	}
	if !vw.IsOpened() {
		vw.Close()
		return fmt.Errorf("wash clip %s: video writer did not open", path)
	}
	r := NewRenderer(sc, w, h)
	bgr := gocv.NewMat()
	defer bgr.Close()
	for i := 0; float64(i)/fps < sc.Seconds; i++ {
		img := r.Frame(float64(i) / fps)
		g, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC1, img.Pix)
		if err != nil {
			vw.Close()
			return fmt.Errorf("wash clip %s: %w", path, err)
		}
		gocv.CvtColor(g, &bgr, gocv.ColorGrayToBGR)
		g.Close()
		if err := vw.Write(bgr); err != nil {
			vw.Close()
			return fmt.Errorf("wash clip %s: %w", path, err)
		}
	}
	return vw.Close()
}
