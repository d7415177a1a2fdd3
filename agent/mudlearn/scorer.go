//go:build !nocv

package mudlearn

import (
	"sitegate/models/cover"
	"sitegate/models/mud"
)

// newScorer builds the camera's scorer from its check's registry.
func newScorer(cam Camera) (mud.Scorer, error) {
	if cam.check() == "cover" {
		return cover.New(cam.Scorer)
	}
	return mud.New(cam.Scorer)
}
