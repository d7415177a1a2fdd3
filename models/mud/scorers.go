package mud

import (
	"fmt"

	"sitegate/models/vision"
)

// Factory builds a scorer from a camera's mud config.
type Factory func(cfg Config) (Scorer, error)

// Scorers holds the mud scorers by their cameras[].mud.scorer name. Both are registered in
// every build, so a config names the same scorers with or without OpenCV; without it, building
// one fails with ErrNoVision.
var Scorers = vision.NewRegistry[Factory]("mud")

func init() {
	Scorers.Register(Classic, vision.Info{}, newClassic)
	Scorers.Register(ONNX, vision.Info{NeedsModel: true}, newONNX)
}

// New builds the scorer cfg names; an empty name is Classic.
func New(cfg Config) (Scorer, error) {
	name := cfg.Scorer
	if name == "" {
		name = Classic
	}
	f, ok := Scorers.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("mud: unknown scorer %q", cfg.Scorer)
	}
	s, err := f(cfg)
	if err != nil {
		return nil, err
	}
	return withCalibration(s, cfg)
}

// WithCalibration puts cfg's calibration over s, if cfg names one, as New does: for the other
// checks whose scorers are mud.Scorers (the cover check). On an error s is closed.
func WithCalibration(s Scorer, cfg Config) (Scorer, error) { return withCalibration(s, cfg) }
