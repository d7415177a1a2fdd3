package cover

import (
	"fmt"
	"strings"

	"sitegate/models/mud"
	"sitegate/models/vision"
)

// Verdict kinds: what a cover scorer found. Covered is ok; the others are alarms.
const (
	Covered = "covered"
	Open    = "open"
	Torn    = "torn"
	Heaped  = "heaped"
	// Uncovered is a load not properly covered whose kind is not told: the binary label of
	// CONTRACT 10 and of reviews, and the kind reported when a calibration or a learned model
	// finds an alarm in a frame the scorer itself thought covered.
	Uncovered = "uncovered"
)

// Classic is the scorer an empty cameras[].cover.scorer names.
const Classic = "classic"

// Factory builds a cover scorer from a camera's cover config. A cover scorer is a mud.Scorer
// whose scores are the probability that the load is not properly covered and whose results
// carry the Kind found, so the camera watcher, frame quality, calibration and the frame store
// serve both checks.
type Factory func(cfg mud.Config) (mud.Scorer, error)

// Scorers holds the cover scorers by their cameras[].cover.scorer name; scorer files register
// into it from init, in every build (without OpenCV, building one fails with mud.ErrNoVision).
var Scorers = vision.NewRegistry[Factory]("cover")

// New builds the scorer cfg names (an empty name is Classic) and applies cfg.Calibration over
// it, as mud.New does.
func New(cfg mud.Config) (mud.Scorer, error) {
	name := cfg.Scorer
	if name == "" {
		name = Classic
	}
	f, ok := Scorers.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("cover: unknown scorer %q", cfg.Scorer)
	}
	s, err := f(cfg)
	if err != nil {
		return nil, err
	}
	return mud.WithCalibration(s, cfg)
}

// IsAlarmLabel reads a frame's label (labels.csv, a review): alarm for open, torn, heaped and
// uncovered, not for covered; ok is false for anything else.
func IsAlarmLabel(label string) (alarm bool, ok bool) {
	switch strings.TrimSpace(label) {
	case Covered:
		return false, true
	case Open, Torn, Heaped, Uncovered:
		return true, true
	}
	return false, false
}
