// Package drivers is the bottom layer of sitegate: bytes and frames in, typed readings out.
//
// Sub-packages talk to the outside world (serial ports, weighbridge indicators, cameras, plate
// pushes). They take their transport (an io.Reader, a listener, a URL) rather than opening
// configuration themselves, and they must not import sitegate/models or sitegate/agent.
package drivers
