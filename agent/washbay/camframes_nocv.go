//go:build nocv

package washbay

import (
	"context"
	"time"

	"sitegate/drivers/camera"
	"sitegate/models/vision/quality"
)

// CameraFrames has no frames in a build without OpenCV: the camera source is down.
func CameraFrames(*camera.Camera, quality.Box, quality.Limits) func() (Frame, error) {
	return func() (Frame, error) { return Frame{}, camera.ErrNoCV }
}

// CameraJPEG has no frames in a build without OpenCV.
func CameraJPEG(*camera.Camera) func(ctx context.Context) ([]byte, time.Time, error) {
	return func(context.Context) ([]byte, time.Time, error) { return nil, time.Time{}, camera.ErrNoCV }
}
