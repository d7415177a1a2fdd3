//go:build nocv

package demo

// gateCamera is absent from a build without OpenCV: the demo runs its lane without a camera,
// and its passages carry no camera evidence and an unknown mud verdict.
type gateCamera struct{}

func startGateCamera() (*gateCamera, error)     { return &gateCamera{}, nil }
func (c *gateCamera) URL() string               { return "" }
func (c *gateCamera) show(t Truck, n int) error { return nil }
func (c *gateCamera) Close() error              { return nil }
