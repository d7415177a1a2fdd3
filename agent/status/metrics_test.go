package status

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/agent/systemd"
	"sitegate/agent/uplink"
	"sitegate/agent/wire"
	"sitegate/drivers/serialport"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMetricsAndHealthz(t *testing.T) {
	r := New(Sources{Site: "m", Gateway: "gw-01",
		Lanes:    func() []wire.LaneStatus { return []wire.LaneStatus{{ID: "exit-1"}} },
		Registry: func() wire.RegistryStatus { return wire.RegistryStatus{Loaded: true, Version: 3} },
	}, quiet())
	r.CountAlarms([]string{"overload", "permit"})
	r.CountAlarms([]string{"overload"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, "127.0.0.1:0") }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for r.Addr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("metrics port not bound")
		}
		time.Sleep(10 * time.Millisecond)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + r.Addr() + path)
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
		`sitegate_frames_total{lane="exit-1"} 0`,
		"sitegate_registry_version 3",
		// The library's own collectors.
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q:\n%s", code, want, body)
		}
	}
	if code, body := get("/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// TestHealthyNeedsEveryLoop: the watchdog's health check names a lane or the uplink whose loop
// is not running, and passes once every loop has beaten.
func TestHealthyNeedsEveryLoop(t *testing.T) {
	lanes := []*lane.Lane{lane.New(lane.Options{ID: "exit-1"}), lane.New(lane.Options{ID: "exit-2"})}
	up := uplink.New(uplink.Options{URL: "tcp://127.0.0.1:1"}, nil)
	r := New(Sources{Loops: func() []systemd.Loop {
		var ls []systemd.Loop
		for _, l := range lanes {
			ls = append(ls, systemd.Loop{Name: "lane " + l.ID(), Beat: l.Heartbeat})
		}
		return append(ls, systemd.Loop{Name: "uplink", Beat: up.Heartbeat})
	}}, quiet())
	// Lanes about to start count as alive; an uplink whose Run is not running does not.
	err := r.Healthy()
	if err == nil || !strings.Contains(err.Error(), "uplink: not running") {
		t.Fatalf("Healthy() = %v, want uplink not running", err)
	}
	var names []string
	for _, l := range r.Loops() {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, ","); got != "lane exit-1,lane exit-2,uplink" {
		t.Errorf("loops = %s", got)
	}
}

// TestOfflineStatusCarriesOnlyIdentity: the Last Will is the identity and the state, nothing a
// dead gateway cannot vouch for.
func TestOfflineStatusCarriesOnlyIdentity(t *testing.T) {
	called := false
	r := New(Sources{Site: "s", Gateway: "g", Version: "v1", Lanes: func() []wire.LaneStatus { called = true; return nil }}, quiet())
	s := r.Status(wire.Offline)
	if s.Schema != wire.StatusSchema || s.State != "offline" || s.Site != "s" || s.Gateway != "g" || s.Version != "v1" || called {
		t.Errorf("offline status %+v (lanes read: %v)", s, called)
	}
}

// TestHealthzFailsOnLongScaleOutage: /healthz answers 503 naming the lane once a lane's scale
// has been down longer than ScaleDownFor, and 200 while it is only briefly down or open. The
// service watchdog's Healthy does not look at scales: an unplugged indicator is no reason to
// restart the agent.
func TestHealthzFailsOnLongScaleOutage(t *testing.T) {
	var mu sync.Mutex
	scale := serialport.LinkStatus{State: serialport.StateOpen}
	set := func(s serialport.LinkStatus) { mu.Lock(); scale = s; mu.Unlock() }
	r := New(Sources{Lanes: func() []wire.LaneStatus {
		mu.Lock()
		defer mu.Unlock()
		return []wire.LaneStatus{{ID: "exit-1"}, {ID: "exit-2", Scale: scale}}
	}, ScaleDownFor: time.Minute}, quiet())
	h := r.Handler()
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 200 {
		t.Errorf("scale open: %d %q", code, body)
	}
	set(serialport.LinkStatus{State: serialport.StateDown, DownSince: time.Now().Add(-5 * time.Second)})
	if code, body := get(); code != 200 {
		t.Errorf("scale down 5s: %d %q", code, body)
	}
	set(serialport.LinkStatus{State: serialport.StateConnecting, DownSince: time.Now().Add(-2 * time.Minute), LastError: "read: input/output error"})
	if code, body := get(); code != 503 || !strings.Contains(body, "exit-2") || !strings.Contains(body, "input/output error") {
		t.Errorf("scale down 2m: %d %q, want 503 naming lane exit-2", code, body)
	}
	if err := r.Healthy(); err != nil {
		t.Errorf("watchdog Healthy = %v; a scale outage must not restart the agent", err)
	}
}
