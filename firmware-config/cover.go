package config

import (
	"strings"

	"sitegate/models/vision"
)

// Cover configures the cover check of a camera that sees the load bed (docs/cover.md): whether
// the load is covered (tarp, net, lid) or open, torn or heaped. The check is on when ROIs are
// set; the other keys have defaults (defaults.yaml), so a block that changes any of them but
// draws no region is a mistake.
type Cover struct {
	// ROIs are the regions judged: the bed, and for a camera beside the lane the band above the
	// side boards (above-bed) where a heap shows.
	ROIs      []ROI   `yaml:"rois"`
	Scorer    string  `yaml:"scorer"` // a scorer of models/cover's registry
	Threshold float64 `yaml:"threshold"`
	Model     string  `yaml:"model"` // a model spec, for scorers that need one
	// Rate is how many frames per second are analysed while a truck is in the lane.
	Rate float64 `yaml:"rate"`
	// Calibration is a calibration file (models/mud Calibration, from `sitegate calibrate
	// cover --write`) over the scorer; "" for none.
	Calibration string `yaml:"calibration"`
	// Learn (off | auto) and LearnEvery: as the mud check's (MudLearning), over the camera's
	// reviewed cover frames.
	Learn      string `yaml:"learn"`
	LearnEvery int    `yaml:"learn_every"`
}

// coverDefaults are defaults.yaml's cover block (a test holds them equal).
var coverDefaults = Cover{Scorer: "classic", Threshold: 0.5, Rate: 2, Learn: LearnOff, LearnEvery: 20}

// On reports whether the camera runs the cover check: it has regions to judge.
func (c Cover) On() bool { return len(c.ROIs) > 0 }

// set reports whether the block says anything: regions, or a key away from its default.
func (c Cover) set() bool {
	d := coverDefaults
	return c.On() || c.Scorer != d.Scorer || c.Threshold != d.Threshold || c.Model != d.Model ||
		c.Rate != d.Rate || c.Calibration != d.Calibration || c.Learn != d.Learn || c.LearnEvery != d.LearnEvery
}

func validateCover(c Cover, p string, ps *problems) {
	if !c.set() {
		return
	}
	if !c.On() {
		ps.add(p+".rois", "must be set when cover is: the regions over the load bed the check judges")
	}
	validateROIs(c.ROIs, p+".rois", ps)
	if info, ok := vision.About("cover", c.Scorer); !ok {
		if names := vision.Scorers("cover"); len(names) > 0 {
			ps.add(p+".scorer", "%q is not %s", c.Scorer, strings.Join(names, " or "))
		} else {
			ps.add(p+".scorer", "%q is not a cover scorer (none is in this program)", c.Scorer)
		}
	} else if info.NeedsModel && c.Model == "" {
		ps.add(p+".model", "must be set for scorer %s", c.Scorer)
	}
	if c.Threshold < 0 || c.Threshold > 1 {
		ps.add(p+".threshold", "%g is outside 0..1", c.Threshold)
	}
	if c.Rate <= 0 || c.Rate > 30 {
		ps.add(p+".rate", "%g is outside 0..30 frames per second (above 0)", c.Rate)
	}
	validateLearn(c.Learn, c.LearnEvery, p, ps)
}
