package clip

import "errors"

// ErrNoCV is returned by Generate in builds without OpenCV (-tags nocv).
var ErrNoCV = errors.New("clip: video support is not in this build (built with -tags nocv)")

// Options describes the clip to write. Zero values take the defaults.
type Options struct {
	Width, Height int     // default 640x360
	FPS           float64 // default 10
	Seconds       float64 // default 4
}

const (
	defaultWidth   = 640
	defaultHeight  = 360
	defaultFPS     = 10
	defaultSeconds = 4
)

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = defaultWidth
	}
	if o.Height <= 0 {
		o.Height = defaultHeight
	}
	if o.FPS <= 0 {
		o.FPS = defaultFPS
	}
	if o.Seconds <= 0 {
		o.Seconds = defaultSeconds
	}
	return o
}

// Frames is the number of frames Generate writes for opts.
func (o Options) Frames() int {
	o = o.withDefaults()
	n := int(o.FPS*o.Seconds + 0.5)
	if n < 1 {
		n = 1
	}
	return n
}
