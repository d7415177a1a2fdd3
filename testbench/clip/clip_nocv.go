//go:build nocv

package clip

import "fmt"

// Generate is unavailable without OpenCV: it returns ErrNoCV.
func Generate(path string, opts Options) error {
	return fmt.Errorf("clip %s: %w", path, ErrNoCV)
}
