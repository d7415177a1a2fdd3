package washbay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sitegate/models/vision/quality"
	"sitegate/models/washcam"
)

// TimedInput is an Input whose reading holds from a time of its own rather than the time it
// was read: a camera's presence detector dates a stay's start back to when the vehicle was
// first seen, and its end to when it was first missed.
type TimedInput interface {
	ReadAt(ctx context.Context) (on bool, at time.Time, err error)
}

// Frame is a camera's latest frame of the bay, as the detector sees it.
type Frame struct {
	Grey quality.Grey
	At   time.Time
	// Blind is why the frame cannot show the bay (models/vision/quality's reason), "" when it
	// can.
	Blind string
}

// ErrBlind is the error of a camera input whose camera cannot see the bay.
var ErrBlind = errors.New("wash camera blind")

// ErrNotYet is the error of an input that has not started yet (a camera before its first
// frame, within StartGrace of the first read): no reading, and not a failure.
var ErrNotYet = errors.New("wash bay input not started yet")

// StartGrace is how long a camera input may go without its first frame before it is down (a
// camera's stream may take this long to open).
const StartGrace = 30 * time.Second

// CameraInput sees the bay through a camera: Frames gives its latest frame (an error when it
// has none), Detector tells whether a vehicle stands in it. A blind camera is an input that
// cannot be read, so the wash check says unknown rather than bypass.
type CameraInput struct {
	Frames   func() (Frame, error)
	Detector *washcam.Detector

	mu      sync.Mutex
	seen    time.Time // the last frame's time
	last    washcam.Reading
	started time.Time // the first read
}

// Read implements Input.
func (c *CameraInput) Read(ctx context.Context) (bool, error) {
	on, _, err := c.ReadAt(ctx)
	return on, err
}

// ReadAt implements TimedInput. A frame already judged (the camera gives one every few
// seconds while the bay is polled every second) repeats the last reading.
func (c *CameraInput) ReadAt(context.Context) (bool, time.Time, error) {
	f, err := c.Frames()
	c.mu.Lock()
	if c.started.IsZero() {
		c.started = time.Now()
	}
	notYet := c.seen.IsZero() && time.Since(c.started) < StartGrace
	c.mu.Unlock()
	if err != nil {
		if notYet {
			return false, time.Time{}, fmt.Errorf("%w: %w", ErrNotYet, err)
		}
		return false, time.Time{}, err
	}
	if f.Blind != "" {
		return false, time.Time{}, fmt.Errorf("%w: %s", ErrBlind, f.Blind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !f.At.After(c.seen) {
		return c.last.Occupied, c.last.At, nil
	}
	r, err := c.Detector.Observe(f.Grey, f.At)
	if err != nil {
		return false, time.Time{}, err
	}
	c.seen, c.last = f.At, r
	return r.Occupied, r.At, nil
}
