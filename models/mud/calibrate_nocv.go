//go:build nocv

package mud

// Fit needs the scorers, which builds without OpenCV do not have.
func Fit(scorer Scorer, regions []Region, frames []LabelledFrame, opts FitOptions) (Calibration, FitReport, error) {
	return Calibration{}, FitReport{}, ErrNoVision
}

func withCalibration(s Scorer, cfg Config) (Scorer, error) { return s, nil }
