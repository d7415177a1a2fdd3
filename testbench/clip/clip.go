//go:build !nocv

package clip

import (
	"fmt"
	"image"
	"image/color"
	"os"

	"gocv.io/x/gocv"
)

// minSide is the smallest frame side the scene can be drawn on.
const minSide = 32

// Generate writes a Motion-JPEG AVI at path: a grey road with lane marks, a truck-like box (cargo
// body, cab, wheels) driving from left to right, and the frame number in the corner.
func Generate(path string, opts Options) error {
	opts = opts.withDefaults()
	if opts.Width < minSide || opts.Height < minSide || opts.Width > 8192 || opts.Height > 8192 {
		return fmt.Errorf("clip %s: size %dx%d out of range", path, opts.Width, opts.Height)
	}
	// Remove a previous file so a failed open is not mistaken for success.
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("clip %s: %w", path, err)
	}
	vw, err := gocv.VideoWriterFile(path, "MJPG", opts.FPS, opts.Width, opts.Height, true)
	if err != nil {
		return fmt.Errorf("clip %s: %w", path, err)
	}
	if !vw.IsOpened() {
		vw.Close()
		return fmt.Errorf("clip %s: video writer did not open (MJPG/AVI)", path)
	}
	frame := gocv.NewMatWithSize(opts.Height, opts.Width, gocv.MatTypeCV8UC3)
	defer frame.Close()
	n := opts.Frames()
	for i := 0; i < n; i++ {
		drawScene(&frame, i, n, opts.Width, opts.Height)
		if err := vw.Write(frame); err != nil {
			vw.Close()
			return fmt.Errorf("clip %s: frame %d: %w", path, i, err)
		}
	}
	if err := vw.Close(); err != nil {
		return fmt.Errorf("clip %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("clip %s: %w", path, err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("clip %s: empty file written", path)
	}
	return nil
}

var (
	sky       = color.RGBA{R: 170, G: 200, B: 225, A: 255}
	road      = color.RGBA{R: 110, G: 110, B: 110, A: 255}
	laneMark  = color.RGBA{R: 235, G: 235, B: 235, A: 255}
	cargo     = color.RGBA{R: 40, G: 120, B: 200, A: 255}
	cab       = color.RGBA{R: 210, G: 60, B: 40, A: 255}
	window    = color.RGBA{R: 60, G: 80, B: 100, A: 255}
	tyre      = color.RGBA{R: 20, G: 20, B: 20, A: 255}
	hub       = color.RGBA{R: 150, G: 150, B: 150, A: 255}
	textColor = color.RGBA{R: 255, G: 255, B: 0, A: 255}
)

// drawScene paints frame i of n. Everything scales with the frame size so 1080p looks the same
// as 360p.
func drawScene(m *gocv.Mat, i, n, w, h int) {
	// Colours are given as RGBA; gocv draws them in BGR order, which is only cosmetic here.
	m.SetTo(gocv.NewScalar(float64(sky.B), float64(sky.G), float64(sky.R), 0))
	roadTop := h * 55 / 100
	gocv.Rectangle(m, image.Rect(0, roadTop, w, h), road, -1)
	markY := roadTop + (h-roadTop)*2/3
	markH := max(2, h/90)
	for x := 0; x < w; x += w / 8 {
		gocv.Rectangle(m, image.Rect(x, markY, x+w/16, markY+markH), laneMark, -1)
	}

	// The truck drives from fully off-screen left to fully off-screen right.
	truckW := w * 45 / 100
	bodyH := h * 28 / 100
	cabW := truckW * 22 / 100
	span := w + truckW
	x0 := -truckW + span*i/max(1, n-1)
	wheelR := max(3, h/18)
	groundY := roadTop + (h-roadTop)/2
	bodyBottom := groundY - wheelR
	cargoRect := image.Rect(x0, bodyBottom-bodyH, x0+truckW-cabW, bodyBottom)
	cabRect := image.Rect(x0+truckW-cabW+max(1, w/200), bodyBottom-bodyH*3/4, x0+truckW, bodyBottom)
	gocv.Rectangle(m, cargoRect, cargo, -1)
	gocv.Rectangle(m, cabRect, cab, -1)
	winRect := image.Rect(cabRect.Min.X+cabW/4, cabRect.Min.Y+bodyH/10, cabRect.Max.X-cabW/8, cabRect.Min.Y+bodyH*3/10)
	gocv.Rectangle(m, winRect, window, -1)
	for _, fx := range []int{10, 28, 70, 90} {
		c := image.Pt(x0+truckW*fx/100, bodyBottom)
		gocv.Circle(m, c, wheelR, tyre, -1)
		gocv.Circle(m, c, wheelR/2, hub, -1)
	}

	scale := float64(h) / 360
	thick := max(1, h/180)
	gocv.PutText(m, fmt.Sprintf("frame %d", i), image.Pt(w/40, h/12), gocv.FontHersheySimplex, scale, textColor, thick)
}
