//go:build !nocv

package demo

import (
	"math/rand/v2"

	"sitegate/testbench/mjpegcam"
	"sitegate/testbench/scene"
)

// gateCamera is the demo's exit camera: an HTTP MJPEG stream (as IP cameras serve) of the
// truck now at the gate, drawn by the scene generator. show switches the truck at once.
type gateCamera struct{ *mjpegcam.Camera }

func startGateCamera() (*gateCamera, error) {
	jpg, err := gatePicture(Truck{Mud: scene.Clean}, 0)
	if err != nil {
		return nil, err
	}
	c, err := mjpegcam.Start(jpg, 0)
	if err != nil {
		return nil, err
	}
	return &gateCamera{c}, nil
}

// show puts a truck at the gate: clean or muddy, in daylight.
func (c *gateCamera) show(t Truck, n int) error {
	jpg, err := gatePicture(t, n)
	if err == nil {
		c.Show(jpg)
	}
	return err
}

// gatePicture is the JPEG of truck t (the demo's n-th) at the gate.
func gatePicture(t Truck, n int) ([]byte, error) {
	sev := t.Mud
	if sev == "" {
		sev = scene.Clean
	}
	spec := scene.Random(rand.New(rand.NewPCG(uint64(n+1), 7)), scene.Day, sev)
	spec.Blur, spec.JPEGQuality, spec.OffsetX = 0, 85, 0
	return scene.JPEG(spec, 640, 360)
}
