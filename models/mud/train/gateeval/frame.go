//go:build !nocv

package gateeval

import "gocv.io/x/gocv"

// FrameRef is a rendered frame, valid during the callback it is passed to.
type FrameRef struct{ Mat gocv.Mat }
