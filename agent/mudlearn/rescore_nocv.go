//go:build nocv

package mudlearn

import (
	"sitegate/agent/framestore"
	"sitegate/models/mud"
)

// Rescore needs OpenCV: in builds without it, it fails with mud.ErrNoVision.
func Rescore([]framestore.Entry, Camera) ([]Frame, int, error) { return nil, 0, mud.ErrNoVision }
