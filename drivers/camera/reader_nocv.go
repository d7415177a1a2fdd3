//go:build nocv

package camera

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Camera is a placeholder in builds without OpenCV: it never streams.
type Camera struct {
	opts Options
	name string
	log  *slog.Logger

	mu      sync.Mutex
	state   State
	lastErr string
}

// New returns a camera for opts.
func New(opts Options) *Camera {
	opts = opts.withDefaults()
	return &Camera{
		opts:  opts,
		name:  fmt.Sprintf("camera %s (%s)", opts.ID, redact(opts.URL)),
		log:   opts.Logger.With("camera", opts.ID),
		state: StateDown,
	}
}

// Run reports that camera support is missing and waits for ctx to be done.
func (c *Camera) Run(ctx context.Context) {
	err := fmt.Errorf("%s: %w", c.name, ErrNoCV)
	c.mu.Lock()
	c.state = StateDown
	c.lastErr = err.Error()
	c.mu.Unlock()
	c.log.Error("camera unavailable", "err", err)
	<-ctx.Done()
}

// Snapshot always returns ErrNoCV.
func (c *Camera) Snapshot(quality int) ([]byte, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, ErrNoCV)
}

// Status reports the camera as down.
func (c *Camera) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{ID: c.opts.ID, State: c.state, URL: redact(c.opts.URL), LastError: c.lastErr}
}

// SetDemand does nothing in a build without OpenCV.
func (c *Camera) SetDemand(bool) {}

// MarkClip does nothing in a build without OpenCV.
func (c *Camera) MarkClip(time.Time) {}

// Clip always returns ErrNoCV.
func (c *Camera) Clip() ([]byte, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, ErrNoCV)
}

// SnapshotNow always returns ErrNoCV.
func (c *Camera) SnapshotNow(context.Context, int) ([]byte, time.Time, error) { return c.Snapshot(0) }
