//go:build nocv

package mudwatch

import (
	"context"
	"fmt"

	"sitegate/agent/checks"
	"sitegate/models/mud"
)

// Watcher stands in for the mud check in builds without OpenCV: every result is unknown.
type Watcher struct{ o Options }

// New returns a watcher whose results say that vision is not in this build.
func New(o Options) *Watcher { return &Watcher{o: o.withDefaults()} }

// Analysed is always 0.
func (w *Watcher) Analysed() int { return 0 }

// SetActive does nothing.
func (w *Watcher) SetActive(bool) {}

// Run waits for ctx to be done.
func (w *Watcher) Run(ctx context.Context) { <-ctx.Done() }

// Take reports that vision is absent.
func (w *Watcher) Take(checks.Caption) checks.VisionOutcome {
	return checks.VisionOutcome{Camera: w.o.CameraID, Threshold: w.o.Threshold,
		Reason: fmt.Sprintf("camera %s: %v", w.o.CameraID, mud.ErrNoVision)}
}

// Peek reports that nothing is judged in a build without OpenCV.
func (w *Watcher) Peek() (judged bool, score, threshold float64) { return false, 0, w.o.Threshold }

// Model names the shipped model: nothing is judged in a build without OpenCV.
func (w *Watcher) Model() string { return "" }

// Sight reports that nothing is judged in a build without OpenCV.
func (w *Watcher) Sight() (blind bool, reason string) { return false, "" }
