//go:build !nocv

package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"sitegate/testbench/scene"
)

// gateCamera is the demo's exit camera: an HTTP MJPEG stream (as IP cameras serve) of the
// truck now at the gate, drawn by the scene generator. show switches the truck at once.
type gateCamera struct {
	srv  *http.Server
	addr string

	mu    sync.Mutex
	frame []byte // the current JPEG
}

func startGateCamera() (*gateCamera, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &gateCamera{addr: l.Addr().String()}
	if err := c.show(Truck{Mud: scene.Clean}, 0); err != nil {
		l.Close()
		return nil, err
	}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.stream), ReadHeaderTimeout: 5 * time.Second}
	go c.srv.Serve(l)
	return c, nil
}

// URL is the stream's address for the camera config.
func (c *gateCamera) URL() string { return "http://" + c.addr + "/stream.mjpg" }

// show puts a truck at the gate: clean or muddy, in daylight.
func (c *gateCamera) show(t Truck, n int) error {
	sev := t.Mud
	if sev == "" {
		sev = scene.Clean
	}
	spec := scene.Random(rand.New(rand.NewPCG(uint64(n+1), 7)), scene.Day, sev)
	spec.Blur, spec.JPEGQuality, spec.OffsetX = 0, 0, 0
	m, err := scene.Render(spec, 640, 360)
	if err != nil {
		return err
	}
	defer m.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return err
	}
	defer buf.Close()
	jpeg := append([]byte(nil), buf.GetBytes()...)
	c.mu.Lock()
	c.frame = jpeg
	c.mu.Unlock()
	return nil
}

// stream serves multipart/x-mixed-replace JPEG frames at 10 fps until the client leaves.
func (c *gateCamera) stream(w http.ResponseWriter, r *http.Request) {
	const boundary = "sitegateframe"
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		f := c.frame
		c.mu.Unlock()
		if _, err := fmt.Fprintf(w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", boundary, len(f)); err != nil {
			return
		}
		if _, err := w.Write(append(f, '\r', '\n')); err != nil {
			return
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func (c *gateCamera) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.srv.Shutdown(ctx)
}
