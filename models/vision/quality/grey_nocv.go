//go:build nocv

package quality

import "errors"

// ErrNoVision is returned by Judge in builds without OpenCV.
var ErrNoVision = errors.New("quality: vision is not in this build (built with -tags nocv)")
