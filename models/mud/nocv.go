//go:build nocv

package mud

import "fmt"

// Scorer is the scorers' interface; in builds without OpenCV there is no implementation.
type Scorer interface {
	Name() string
	Close() error
}

// New always fails in builds without OpenCV.
func New(cfg Config) (Scorer, error) {
	return nil, fmt.Errorf("scorer %q: %w", cfg.Scorer, ErrNoVision)
}
