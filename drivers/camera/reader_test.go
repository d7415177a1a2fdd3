//go:build !nocv

package camera

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/testbench/clip"
)

var quiet = slog.New(slog.DiscardHandler)

// waitFor polls cond until it holds, failing the test if it never does.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// start runs c in the background; the returned stop cancels it and waits for Run to return.
func start(t *testing.T, c *Camera) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func makeClip(t *testing.T, dir string, opts clip.Options) string {
	t.Helper()
	path := filepath.Join(dir, "clip.avi")
	if err := clip.Generate(path, opts); err != nil {
		t.Fatal(err)
	}
	return path
}

func decodeSize(t *testing.T, jpeg []byte) (int, int) {
	t.Helper()
	if len(jpeg) < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
		t.Fatalf("snapshot is not a JPEG (%d bytes)", len(jpeg))
	}
	m, err := gocv.IMDecode(jpeg, gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Empty() {
		t.Fatal("snapshot does not decode")
	}
	return m.Cols(), m.Rows()
}

func TestSnapshotFromClip(t *testing.T) {
	cases := []struct {
		name string
		opts clip.Options
	}{
		{"360p", clip.Options{Width: 640, Height: 360, FPS: 10, Seconds: 1}},
		{"odd size", clip.Options{Width: 322, Height: 180, FPS: 25, Seconds: 1}},
		{"1080p", clip.Options{Width: 1920, Height: 1080, FPS: 10, Seconds: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := makeClip(t, t.TempDir(), tc.opts)
			c := New(Options{ID: "wheels", URL: path, MinBackoff: 10 * time.Millisecond, Logger: quiet})
			if _, _, err := c.Snapshot(85); !errors.Is(err, ErrNoFrame) {
				t.Fatalf("Snapshot before Run: err = %v, want ErrNoFrame", err)
			}
			stop := start(t, c)
			var jpeg []byte
			var at time.Time
			waitFor(t, "a snapshot", func() bool {
				var err error
				jpeg, at, err = c.Snapshot(85)
				return err == nil
			})
			if at.IsZero() {
				t.Error("snapshot time is zero")
			}
			if w, h := decodeSize(t, jpeg); w != tc.opts.Width || h != tc.opts.Height {
				t.Errorf("snapshot is %dx%d, want %dx%d", w, h, tc.opts.Width, tc.opts.Height)
			}
			var size image.Point
			if !c.Latest(func(m gocv.Mat, _ time.Time) { size = image.Pt(m.Cols(), m.Rows()) }) {
				t.Error("Latest found no frame")
			}
			if size != image.Pt(tc.opts.Width, tc.opts.Height) {
				t.Errorf("Latest frame is %v", size)
			}
			// The clip is shorter than this: reaching it means the file loops.
			loopAt := uint64(tc.opts.Frames() + 3)
			waitFor(t, "the clip to loop", func() bool { return c.Status().Frames >= loopAt })
			st := c.Status()
			if st.State != StateStreaming || st.Width != tc.opts.Width || st.Height != tc.opts.Height || st.Reopens != 0 || st.FPS <= 0 {
				t.Errorf("status = %+v", st)
			}
			stop()
			if st := c.Status(); st.State != StateDown {
				t.Errorf("state after Run = %q, want down", st.State)
			}
			if _, _, err := c.Snapshot(85); !errors.Is(err, ErrNoFrame) {
				t.Errorf("Snapshot after Run: err = %v, want ErrNoFrame", err)
			}
		})
	}
}

func TestMissingFileRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "later.avi")
	c := New(Options{ID: "wheels", URL: path, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: quiet})
	start(t, c)
	waitFor(t, "state down", func() bool {
		st := c.Status()
		return st.State == StateDown && st.LastError != "" && st.Reopens > 0
	})
	st := c.Status()
	if !strings.Contains(st.LastError, "wheels") || !strings.Contains(st.LastError, "no such file") {
		t.Errorf("LastError = %q, want the camera and the cause", st.LastError)
	}
	if _, _, err := c.Snapshot(85); !errors.Is(err, ErrNoFrame) {
		t.Errorf("Snapshot while down: err = %v, want ErrNoFrame", err)
	}
	// Write elsewhere and rename, so the camera never sees a half-written file.
	tmp := makeClip(t, t.TempDir(), clip.Options{Width: 160, Height: 96, Seconds: 1})
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "recovery", func() bool {
		_, _, err := c.Snapshot(85)
		return err == nil && c.Status().State == StateStreaming
	})
}

func TestCancelInEveryState(t *testing.T) {
	dir := t.TempDir()
	good := makeClip(t, dir, clip.Options{Width: 160, Height: 96, Seconds: 1})
	cases := []struct {
		name  string
		url   string
		state State
	}{
		{"streaming", good, StateStreaming},
		{"down, in backoff", filepath.Join(dir, "missing.avi"), StateDown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{ID: "c", URL: tc.url, MinBackoff: time.Hour, Logger: quiet})
			stop := start(t, c)
			waitFor(t, string(tc.state), func() bool { return c.Status().State == tc.state })
			stop()
			if c.Status().State != StateDown {
				t.Errorf("state after Run = %q", c.Status().State)
			}
		})
	}
}

// fakeSource yields frames; after `good` frames it blocks in Read until release is closed.
type fakeSource struct {
	tmpl    gocv.Mat
	good    int
	n       int
	tick    *time.Ticker
	release chan struct{}
	blocked chan struct{} // closed when Read starts to hang
	closed  chan struct{}
}

func newFake(good int) *fakeSource {
	return &fakeSource{
		tmpl:    gocv.NewMatWithSizeFromScalar(gocv.NewScalar(40, 80, 120, 0), 48, 64, gocv.MatTypeCV8UC3),
		good:    good,
		tick:    time.NewTicker(5 * time.Millisecond),
		release: make(chan struct{}),
		blocked: make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

func (f *fakeSource) Read(m *gocv.Mat) bool {
	if f.good >= 0 && f.n >= f.good {
		if f.n == f.good {
			close(f.blocked)
			f.n++
		}
		<-f.release // a hung stream
		return false
	}
	<-f.tick.C
	f.n++
	f.tmpl.CopyTo(m)
	return true
}

func (f *fakeSource) FPS() float64 { return 0 }

func (f *fakeSource) Close() error {
	f.tick.Stop()
	f.tmpl.Close()
	close(f.closed)
	return nil
}

// fakeOpener hands out the given sources in turn, then healthy ones.
type fakeOpener struct {
	mu      sync.Mutex
	sources []*fakeSource
}

func (o *fakeOpener) open(string) (source, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sources) == 0 {
		return newFake(-1), nil
	}
	s := o.sources[0]
	o.sources = o.sources[1:]
	return s, nil
}

func TestStalledReadIsAbandoned(t *testing.T) {
	hung := newFake(3)
	op := &fakeOpener{sources: []*fakeSource{hung}}
	c := New(Options{ID: "gate", URL: "rtsp://192.0.2.1/stream", MinBackoff: 10 * time.Millisecond,
		StallAfter: 100 * time.Millisecond, Logger: quiet})
	c.opener = op.open
	stop := start(t, c)
	waitFor(t, "the stall to be noticed", func() bool {
		st := c.Status()
		return st.Reopens > 0 && strings.Contains(st.LastError, "stalled")
	})
	waitFor(t, "a new capture streaming", func() bool {
		st := c.Status()
		return st.State == StateStreaming && st.Frames > 3
	})
	stop()
	select {
	case <-hung.closed:
		t.Fatal("the hung capture was closed while its Read was running")
	default:
	}
	close(hung.release)
	select {
	case <-hung.closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the abandoned reader did not close its capture after Read returned")
	}
}

func TestRunReturnsDespiteHungRead(t *testing.T) {
	hung := newFake(0)
	op := &fakeOpener{sources: []*fakeSource{hung}}
	c := New(Options{ID: "gate", URL: "rtsp://192.0.2.1/stream", Logger: quiet})
	c.opener = op.open
	c.closeWait = 20 * time.Millisecond
	stop := start(t, c)
	<-hung.blocked
	stop() // fails the test if Run does not return
	close(hung.release)
	<-hung.closed
}

func TestStaleFrameIsNoEvidence(t *testing.T) {
	src := newFake(1)
	op := &fakeOpener{sources: []*fakeSource{src}}
	c := New(Options{ID: "gate", URL: "rtsp://192.0.2.1/stream", StaleAfter: 30 * time.Millisecond, Logger: quiet})
	c.opener = op.open
	start(t, c)
	t.Cleanup(func() { close(src.release) })
	waitFor(t, "the one frame", func() bool { return c.Status().Frames == 1 })
	waitFor(t, "the frame to go stale", func() bool {
		_, _, err := c.Snapshot(85)
		return errors.Is(err, ErrNoFrame)
	})
	if c.Latest(func(gocv.Mat, time.Time) {}) {
		t.Error("Latest ran on a stale frame")
	}
}

func TestPasswordNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a closed loopback port: the RTSP connection is refused at once
	c := New(Options{ID: "gate", URL: "rtsp://admin:s3cret@" + addr + "/stream1", MinBackoff: time.Hour, Logger: quiet})
	start(t, c)
	waitFor(t, "state down", func() bool { return c.Status().State == StateDown })
	st := c.Status()
	b, _ := json.Marshal(st)
	if strings.Contains(string(b), "s3cret") || !strings.Contains(st.LastError, "admin:xxxxx@") {
		t.Fatalf("status %s", b)
	}
}
