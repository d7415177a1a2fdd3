package rtspserver

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Serve starts a server on a free loopback port with ffmpeg publishing the video file src into
// it, looped, as H.264 (encoded with libx264, a key frame every gop frames; 0 copies src's own
// H.264 instead of encoding), and returns the stream's URL once it plays. Both stop at cleanup;
// the test is skipped when ffmpeg is not installed.
func Serve(t testing.TB, src string, gop int) string {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (make test installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	url := "rtsp://" + addr + "/cam"
	args := []string{"-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", src}
	if gop > 0 {
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", strconv.Itoa(gop), "-pix_fmt", "yuv420p")
	} else {
		args = append(args, "-c:v", "copy")
	}
	args = append(args, "-an", "-f", "rtsp", "-rtsp_transport", "tcp", url)
	cmd := exec.Command(ff, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case <-srv.Published():
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg never published")
	}
	return url
}
