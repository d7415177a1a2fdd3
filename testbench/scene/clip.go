//go:build !nocv

package scene

import (
	"fmt"
	"os"

	"gocv.io/x/gocv"
)

// ClipOptions describes a video clip of trucks passing the gate one after another.
type ClipOptions struct {
	Width, Height int     // default 640x360
	FPS           float64 // default 10
	// PerTruck is each truck's time in the clip in seconds (default 4): it drives in during the
	// first fifth, stands on the weighbridge, and drives out during the last fifth.
	PerTruck float64
	Trucks   []Spec
	// Standing keeps each truck at the gate for its whole time, without driving in and out.
	Standing bool
}

// WriteClip writes a Motion-JPEG AVI of the trucks at path.
func WriteClip(path string, o ClipOptions) error {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 640, 360
	}
	if o.FPS <= 0 {
		o.FPS = 10
	}
	if o.PerTruck <= 0 {
		o.PerTruck = 4
	}
	if len(o.Trucks) == 0 {
		return fmt.Errorf("scene clip %s: no trucks", path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("scene clip %s: %w", path, err)
	}
	vw, err := gocv.VideoWriterFile(path, "MJPG", o.FPS, o.Width, o.Height, true)
	if err != nil {
		return fmt.Errorf("scene clip %s: %w", path, err)
	}
	if !vw.IsOpened() {
		vw.Close()
		return fmt.Errorf("scene clip %s: video writer did not open", path)
	}
	n := max(1, int(o.FPS*o.PerTruck+0.5))
	for _, t := range o.Trucks {
		for i := 0; i < n; i++ {
			s := t
			s.Seed = t.Seed + uint64(i)*7919 // fresh noise every frame, same truck and mud
			s.JPEGQuality = 0
			f := float64(i) / float64(n)
			switch {
			case o.Standing:
			case f < 0.2:
				s.OffsetX = t.OffsetX - (1-f/0.2)*1.0
			case f > 0.8:
				s.OffsetX = t.OffsetX + (f-0.8)/0.2*1.0
			}
			m, err := Render(s, o.Width, o.Height)
			if err != nil {
				vw.Close()
				return fmt.Errorf("scene clip %s: %w", path, err)
			}
			err = vw.Write(m)
			m.Close()
			if err != nil {
				vw.Close()
				return fmt.Errorf("scene clip %s: %w", path, err)
			}
		}
	}
	return vw.Close()
}
