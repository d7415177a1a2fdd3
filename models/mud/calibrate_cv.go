//go:build !nocv

package mud

import (
	"fmt"

	"gocv.io/x/gocv"
)

// Fit scores each labelled frame with scorer over regions, and fits a calibration to the
// scores (FitScores): k-fold cross-validation, before and after figures on the held-out folds,
// and a refusal (an error wrapping ErrRefused, with the report) when the result is degenerate
// or no better than the shipped model. A frame that cannot be read is an error naming it.
func Fit(scorer Scorer, regions []Region, frames []LabelledFrame, opts FitOptions) (Calibration, FitReport, error) {
	var scored []LabelledScores
	for _, f := range frames {
		m := gocv.IMRead(f.Path, gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			return Calibration{}, FitReport{}, fmt.Errorf("mud calibration: %s does not decode", f.Path)
		}
		res, err := scorer.Score(m, regions)
		m.Close()
		if err != nil {
			return Calibration{}, FitReport{}, fmt.Errorf("mud calibration: %s: %w", f.Path, err)
		}
		scored = append(scored, LabelledScores{Regions: res.Regions, Features: res.Features, Muddy: f.Muddy})
	}
	return FitScores(scorer.Name(), scored, opts)
}

// Calibrated is a scorer with a calibration over it: its frame score is the calibration's,
// its regions' scores the scorer's own.
type Calibrated struct {
	base Scorer
	cal  Calibration
}

// NewCalibrated puts cal over s; s must be the scorer cal was fitted on.
func NewCalibrated(s Scorer, cal Calibration) (*Calibrated, error) {
	if s.Name() != cal.Scorer {
		return nil, fmt.Errorf("mud calibration %s: fitted on scorer %s, not %s", cal.Version, cal.Scorer, s.Name())
	}
	return &Calibrated{base: s, cal: cal}, nil
}

// Name is the scorer's name.
func (c *Calibrated) Name() string { return c.base.Name() }

// Calibration is the calibration applied.
func (c *Calibrated) Calibration() Calibration { return c.cal }

// Close closes the scorer.
func (c *Calibrated) Close() error { return c.base.Close() }

// Score judges frame with the scorer, then the calibration.
func (c *Calibrated) Score(frame gocv.Mat, regions []Region) (Result, error) {
	res, err := c.base.Score(frame, regions)
	if err != nil {
		return res, err
	}
	s, err := c.cal.ApplyResult(res)
	if err != nil {
		return Result{}, err
	}
	res.Score = s
	return res, nil
}

// withCalibration wraps s in cfg's calibration, if it names one.
func withCalibration(s Scorer, cfg Config) (Scorer, error) {
	if cfg.Calibration == "" {
		return s, nil
	}
	cal, err := LoadCalibration(cfg.Calibration)
	if err != nil {
		s.Close()
		return nil, err
	}
	c, err := NewCalibrated(s, cal)
	if err != nil {
		s.Close()
		return nil, err
	}
	return c, nil
}
