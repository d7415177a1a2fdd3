package gateway

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	config "sitegate/firmware-config"
)

// TestStreamURLTakesTheLoginFromFiles: a camera's username and password file become the
// stream URL's login; a camera without them keeps its URL.
func TestStreamURLTakesTheLoginFromFiles(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "cam.pass")
	if err := os.WriteFile(pw, []byte("s3:cr@t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &Gateway{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range []struct {
		cam  config.Camera
		want string
	}{
		{config.Camera{URL: "rtsp://192.168.1.64:554/ch1", Username: "admin", PasswordFile: pw}, "rtsp://admin:s3%3Acr%40t@192.168.1.64:554/ch1"},
		{config.Camera{URL: "rtsp://192.168.1.64:554/ch1"}, "rtsp://192.168.1.64:554/ch1"},
		{config.Camera{URL: "/srv/clip.avi", Username: "admin", PasswordFile: pw}, "/srv/clip.avi"},
	} {
		if got := streamURL(g, "exit-1", c.cam); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cam, got, c.want)
		}
	}
}
