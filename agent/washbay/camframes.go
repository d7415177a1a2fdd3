//go:build !nocv

package washbay

import (
	"context"
	"errors"
	"time"

	"gocv.io/x/gocv"

	"sitegate/drivers/camera"
	"sitegate/models/vision/quality"
)

// CameraFrames gives a camera's latest frame as the presence detector sees it (greyscale,
// about quality.WorkWidth wide), judged by models/vision/quality over box: a frame too dark,
// overexposed, without contrast or behind an obstructed lens is blind. A frame already given is
// not converted again.
func CameraFrames(cam *camera.Camera, box quality.Box, lim quality.Limits) func() (Frame, error) {
	var last Frame
	return func() (Frame, error) {
		var err error
		seen := false
		ok := cam.Latest(func(m gocv.Mat, at time.Time) {
			if at.Equal(last.At) {
				seen = true
				return
			}
			var g quality.Grey
			if g, err = quality.GreyOf(m); err != nil {
				return
			}
			last = Frame{Grey: g, At: at, Blind: blind(quality.Assess(g, []quality.Box{box}, nil, lim))}
		})
		switch {
		case !ok:
			return Frame{}, camera.ErrNoFrame
		case err != nil:
			return Frame{}, err
		case seen:
		}
		return last, nil
	}
}

// blind is why a judged frame cannot show the bay; a frame merely blurred (spray on the lens)
// or showing nothing but the bay still can.
func blind(v quality.Verdict) string {
	switch v.Reason {
	case quality.TooDark, quality.Overexposed, quality.NoContrast, quality.Obstructed:
		return string(v.Reason)
	}
	return ""
}

// CameraJPEG is a camera's frame as a JPEG, for the stay's evidence (Options.Frame): its
// latest (a watching camera has one), else one decoded for it.
func CameraJPEG(cam *camera.Camera) func(ctx context.Context) ([]byte, time.Time, error) {
	return func(ctx context.Context) ([]byte, time.Time, error) {
		jpeg, at, err := cam.Snapshot(85)
		if errors.Is(err, camera.ErrNoFrame) {
			jpeg, at, err = cam.SnapshotNow(ctx, 85)
		}
		if err == nil && len(jpeg) == 0 {
			err = errors.New("empty frame")
		}
		return jpeg, at, err
	}
}
