//go:build nocv

package mud

import "fmt"

// Scorer is the scorers' interface; in builds without OpenCV there is no implementation.
type Scorer interface {
	Name() string
	Close() error
}

// newClassic fails in builds without OpenCV.
func newClassic(cfg Config) (Scorer, error) {
	return nil, fmt.Errorf("scorer %q: %w", cfg.Scorer, ErrNoVision)
}

// newONNX fails in builds without OpenCV.
func newONNX(cfg Config) (Scorer, error) {
	return nil, fmt.Errorf("scorer %q: %w", cfg.Scorer, ErrNoVision)
}
