//go:build nocv

package cover

import (
	"fmt"

	"sitegate/models/mud"
	"sitegate/models/vision"
)

func init() { Scorers.Register(Classic, vision.Info{}, newClassic) }

// newClassic fails in builds without OpenCV.
func newClassic(cfg mud.Config) (mud.Scorer, error) {
	return nil, fmt.Errorf("cover scorer %q: %w", Classic, mud.ErrNoVision)
}
