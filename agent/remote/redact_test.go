package remote

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	config "sitegate/firmware-config"
	_ "sitegate/models/mud" // the mud scorers cameras name
	"sitegate/models/registry"
)

// TestNoSecretReported: a local camera's credentials, and those a desired config tries to
// send, appear in no report, no log line and no control file.
func TestNoSecretReported(t *testing.T) {
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: {apply_timeout: 1s, allow_unsigned: true}
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
    cameras: [{id: wheels, url: "rtsp://192.168.1.64:554/ch1?password=s3cret", username: admin}]
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	pub := &published{}
	p, _, err := New(Options{Local: cfg, Runner: &fakeRunner{}, Publish: pub.publish, Registry: &registry.Current{},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p.OnDesired(ctx, []byte(`{"version":2,"config":{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"},"cameras":[{"id":"wheels","url":"rtsp://admin:0ther@192.168.1.64:554/ch1"}]}]}}`))
	if r := pub.last(t, p.t.ConfigReported()); r.Status != "rejected" || len(r.Errors) != 1 || r.Errors[0].Path != "lanes[0].cameras[0].url" {
		t.Fatalf("remote credentials: %+v", r)
	}
	p.OnDesired(ctx, desired(3, 300))
	if r := pub.last(t, p.t.ConfigReported()); r.Status != "applied" {
		t.Fatalf("v3: %+v", r)
	}
	var all bytes.Buffer
	for _, ms := range pub.msgs {
		for _, m := range ms {
			all.Write(m)
		}
	}
	all.Write(logs.Bytes())
	_ = filepath.WalkDir(cfg.Store.Dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			all.Write(b)
		}
		return nil
	})
	for _, secret := range []string{"s3cret", "0ther"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("%q is in a report, the log or a control file", secret)
		}
	}
}
