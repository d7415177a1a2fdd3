// Package mjpegcam is an emulated IP camera's HTTP MJPEG stream (multipart/x-mixed-replace, as
// IP cameras serve it) on a loopback port: the picture it sends can be changed at once, and the
// camera can be taken down (streams end, new requests get 503) and brought back.
package mjpegcam

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Camera is one emulated camera.
type Camera struct {
	srv      *http.Server
	addr     string
	interval time.Duration

	mu    sync.Mutex
	jpg   []byte
	down  bool
	conns map[chan struct{}]bool
}

// Start serves jpg on a loopback port, one frame every interval (100 ms when 0).
func Start(jpg []byte, interval time.Duration) (*Camera, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	c := &Camera{addr: l.Addr().String(), interval: interval, jpg: jpg, conns: map[chan struct{}]bool{}}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.stream), ReadHeaderTimeout: 5 * time.Second}
	go c.srv.Serve(l)
	return c, nil
}

// URL is the stream's address for a camera config.
func (c *Camera) URL() string { return "http://" + c.addr + "/stream.mjpg" }

// Show makes jpg the picture sent from the next frame on.
func (c *Camera) Show(jpg []byte) {
	c.mu.Lock()
	c.jpg = jpg
	c.mu.Unlock()
}

// SetDown takes the camera down (every stream ends, new requests get 503) or brings it back.
func (c *Camera) SetDown(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = on
	if on {
		for ch := range c.conns {
			close(ch)
		}
		c.conns = map[chan struct{}]bool{}
	}
}

func (c *Camera) stream(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.down {
		c.mu.Unlock()
		http.Error(w, "no video", http.StatusServiceUnavailable)
		return
	}
	stop := make(chan struct{})
	c.conns[stop] = true
	c.mu.Unlock()
	const boundary = "sitegateframe"
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	rc := http.NewResponseController(w)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		c.mu.Lock()
		f := c.jpg
		c.mu.Unlock()
		if _, err := fmt.Fprintf(w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", boundary, len(f)); err != nil {
			return
		}
		w.Write(f)
		io.WriteString(w, "\r\n")
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// Close takes the camera down and stops its server.
func (c *Camera) Close() error {
	c.SetDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.srv.Shutdown(ctx)
}
