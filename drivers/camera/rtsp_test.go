//go:build !nocv

package camera

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sitegate/testbench/clip"
	"sitegate/testbench/rtspserver"
)

// publish starts ffmpeg looping clip into the RTSP server at url (H.264 over TCP, a key frame
// every 5 frames so a reader can start quickly); it is killed at cleanup.
func publish(t *testing.T, clipPath, url string) *exec.Cmd {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (make test installs it)")
	}
	cmd := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clipPath,
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "5", "-pix_fmt", "yuv420p",
		"-f", "rtsp", "-rtsp_transport", "tcp", url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func startServer(t *testing.T, addr string) *rtspserver.Server {
	t.Helper()
	var srv *rtspserver.Server
	var err error
	// The port was just freed by the previous server; retry briefly while the kernel lets go of it.
	for i := 0; i < 50; i++ {
		if srv, err = rtspserver.Start(addr); err == nil {
			return srv
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(err)
	return nil
}

// TestRTSPServerKilledMidStream streams from a real RTSP server, kills the server (and with it
// the publisher) mid-stream, brings both back, and expects the camera to stream again within
// 10 s, with the default backoff.
func TestRTSPServerKilledMidStream(t *testing.T) {
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
	pub := publish(t, clipPath, url)
	select {
	case <-srv.Published():
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg never published")
	}
	c := New(Options{ID: "gate", URL: url, StallAfter: 3 * time.Second, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the stream", func() bool { return c.Status().State == StateStreaming && c.Status().Frames > 5 })
	if _, _, err := c.Snapshot(85); err != nil {
		t.Fatalf("snapshot from RTSP: %v", err)
	}

	srv.Close()
	pub.Process.Kill()
	pub.Wait()
	waitFor(t, "the camera to notice", func() bool { return c.Status().State != StateStreaming })
	before := c.Status().Frames

	srv = startServer(t, addr)
	t.Cleanup(srv.Close)
	back := time.Now()
	publish(t, clipPath, url)
	deadline := back.Add(10 * time.Second)
	for {
		st := c.Status()
		if st.State == StateStreaming && st.Frames > before+3 {
			t.Logf("recovered %v after the server came back (reopens %d)", time.Since(back).Round(100*time.Millisecond), st.Reopens)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered within 10 s of the server's return: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, _, err := c.Snapshot(85); err != nil {
		t.Errorf("snapshot after recovery: %v", err)
	}
}
