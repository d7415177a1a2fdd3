//go:build !nocv

package camera

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/testbench/clip"
)

// rtspStream starts an RTSP server on a free loopback port with ffmpeg publishing a generated
// clip into it, and returns the stream's URL.
func rtspStream(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	clipPath := filepath.Join(dir, "gate.avi")
	if err := clip.Generate(clipPath, clip.Options{Width: 320, Height: 180, FPS: 10, Seconds: 2}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := "rtsp://" + addr + "/gate"
	srv := startServer(t, addr)
	t.Cleanup(srv.Close)
	publish(t, clipPath, url)
	select {
	case <-srv.Published():
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg never published")
	}
	return url
}

// TestOnDemandDecodesOnlyWhenAsked holds an RTSP stream as packets: while idle it decodes
// nothing and has no frame; with demand it has a current frame; without, none again.
func TestOnDemandDecodesOnlyWhenAsked(t *testing.T) {
	url := rtspStream(t)
	c := New(Options{ID: "gate", URL: url, Capture: CaptureOnDemand, Clip: ClipOptions{Before: 2 * time.Second, After: time.Second}, Logger: quiet})
	stop := start(t, c)
	defer stop()
	waitFor(t, "packets", func() bool { st := c.Status(); return st.State == StateStreaming && st.BytesPerS > 0 })
	st := c.Status()
	if st.Capture != CaptureOnDemand || st.Demand || st.Frames != 0 || st.DecodedFPS != 0 {
		t.Fatalf("idle on-demand camera: %+v", st)
	}
	if _, _, err := c.Snapshot(85); !errors.Is(err, ErrNoFrame) {
		t.Fatalf("idle snapshot: %v, want ErrNoFrame", err)
	}
	// A snapshot asked of the idle camera (the snapshot command) decodes for it, then stops.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if jpeg, _, err := c.SnapshotNow(ctx, 85); err != nil || len(jpeg) == 0 {
		t.Fatalf("snapshot of an idle camera: %v", err)
	}
	waitFor(t, "the frame to go after the snapshot", func() bool {
		_, _, err := c.Snapshot(85)
		return errors.Is(err, ErrNoFrame)
	})
	before := c.Status().Frames
	c.SetDemand(true)
	asked := time.Now()
	waitFor(t, "a decoded frame", func() bool { return c.Status().Frames > before })
	t.Logf("first frame %v after demand", time.Since(asked).Round(time.Millisecond))
	jpeg, at, err := c.Snapshot(85)
	if err != nil || len(jpeg) == 0 {
		t.Fatalf("snapshot with demand: %v", err)
	}
	if st := c.Status(); st.Width != 320 || st.Height != 180 || !st.Demand {
		t.Fatalf("status with demand: %+v", st)
	}
	c.MarkClip(at)
	waitFor(t, "decoding", func() bool { return c.Status().DecodedFPS > 0 })
	c.SetDemand(false)
	waitFor(t, "the frame to go", func() bool {
		_, _, err := c.Snapshot(85)
		return errors.Is(err, ErrNoFrame)
	})
	waitFor(t, "the clip's second after the capture", func() bool { return time.Since(at) > 1100*time.Millisecond })
	mp4, from, err := c.Clip()
	if err != nil {
		t.Fatal(err)
	}
	if from.After(at) {
		t.Errorf("clip starts at %v, after the capture at %v", from, at)
	}
	d := probeDuration(t, mp4)
	if end := from.Add(time.Duration(d * float64(time.Second))); end.Before(at) {
		t.Errorf("clip %v..%v (%.2f s) ends before the capture at %v", from, end, d, at)
	}
	t.Logf("clip %d bytes, %.2f s", len(mp4), d)
}

// probeDuration is the duration ffprobe reads from an MP4.
func probeDuration(t *testing.T, mp4 []byte) float64 {
	t.Helper()
	ff, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed (make test installs ffmpeg)")
	}
	p := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(p, mp4, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ff, "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", out, err)
	}
	return d
}

// TestSnapshotCaptureFetchesOnlyWhenAsked: a snapshot camera fetches nothing while idle and its
// snapshot, with the login, while there is demand.
func TestSnapshotCaptureFetchesOnlyWhenAsked(t *testing.T) {
	m := gocv.NewMatWithSize(90, 160, gocv.MatTypeCV8UC3)
	jpeg, err := gocv.IMEncode(gocv.JPEGFileExt, m)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	body := append([]byte(nil), jpeg.GetBytes()...)
	jpeg.Close()
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fetches.Add(1)
		w.Write(body)
	}))
	defer srv.Close()
	snap := strings.Replace(srv.URL, "http://", "http://admin:pw@", 1) + "/snap.jpg"
	c := New(Options{ID: "gate", URL: "rtsp://127.0.0.1:1/unused", Capture: CaptureSnapshot, SnapshotURL: snap, ActiveFPS: 20, Logger: quiet})
	stop := start(t, c)
	defer stop()
	if st := c.Status(); st.Capture != CaptureSnapshot || st.URL != "rtsp://127.0.0.1:1/unused" {
		t.Fatalf("status %+v", st)
	}
	c.SetDemand(true)
	waitFor(t, "a snapshot", func() bool { return c.Status().Frames >= 2 })
	if st := c.Status(); st.Width != 160 || st.State != StateStreaming || st.BytesPerS < 0 {
		t.Fatalf("status with demand: %+v", st)
	}
	c.SetDemand(false)
	waitFor(t, "the frame to go", func() bool {
		_, _, err := c.Snapshot(85)
		return errors.Is(err, ErrNoFrame)
	})
	n := fetches.Load()
	// Idle again: the fetch count stays (polled a while, for a fetch that would come every 50 ms).
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if got := fetches.Load(); got > n+1 {
		t.Errorf("%d fetches while idle", got-n)
	}
}
