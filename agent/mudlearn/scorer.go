//go:build !nocv

package mudlearn

import "sitegate/models/mud"

func newScorer(cam Camera) (mud.Scorer, error) { return mud.New(cam.Scorer) }
