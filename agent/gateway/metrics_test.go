package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
)

func TestMetricsAndHealthz(t *testing.T) {
	cfg, err := config.Parse([]byte(`site: m
gateway: gw-01
store: {dir: data}
lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]
control: {metrics_listen: "127.0.0.1:0"}
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	g.onStored(lane.Passage{Alarms: []string{"overload", "permit"}})
	g.onStored(lane.Passage{Alarms: []string{"overload"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.serveMetrics(ctx, cfg.Control.MetricsListen) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for g.MetricsAddr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("metrics port not bound")
		}
		time.Sleep(10 * time.Millisecond)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + g.MetricsAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	for _, want := range []string{
		`sitegate_alarms_total{kind="overload"} 2`,
		`sitegate_alarms_total{kind="permit"} 1`,
		"# TYPE sitegate_frames_total counter",
		"sitegate_registry_version",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q:\n%s", code, want, body)
		}
	}
	if code, body := get("/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}
