//go:build !nocv

package cli

import "gocv.io/x/gocv"

func openCVVersion() string { return gocv.OpenCVVersion() }
