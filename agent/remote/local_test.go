package remote

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/control"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models/registry"
)

// roiRunner fails configs whose first region starts at x = 0.5.
type roiRunner struct {
	mu  sync.Mutex
	ran int
}

func (r *roiRunner) Run(_ context.Context, cfg *config.Config, _ time.Duration) error {
	r.mu.Lock()
	r.ran++
	r.mu.Unlock()
	if rois := cfg.Lanes[0].Cameras[0].ROIs; len(rois) > 0 && rois[0].Polygon[0][0] == 0.5 {
		return errors.New("camera wheels did not come up")
	}
	return nil
}

func square(x float64) []config.ROI {
	return []config.ROI{{Name: "wheels", Polygon: [][]float64{{x, 0.6}, {0.9, 0.6}, {0.9, 0.9}, {x, 0.9}}}}
}

// TestSetRegions: a console change is validated, applied (or rolled back) and reported as the
// next desired version, with remote config off; it is kept and run again after a restart.
func TestSetRegions(t *testing.T) {
	dir := t.TempDir()
	local, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: {apply_timeout: 1s}
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
    cameras:
      - id: wheels
        url: rtsp://cam.local/ch1
        rois: [{name: wheels, polygon: [[0.1, 0.6], [0.9, 0.6], [0.9, 0.9], [0.1, 0.9]]}]
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	pub := &published{}
	rr := &roiRunner{}
	p, _, err := New(Options{Local: local, Runner: rr, Publish: pub.publish, Registry: &registry.Current{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	topic := p.t.ConfigReported()

	rep, err := p.SetRegions(ctx, "exit-1", "wheels", square(0.2), "console:tech")
	if err != nil || rep.Status != wire.Applied || rep.Version != 1 || rep.RunningVersion != 1 {
		t.Fatalf("valid regions: %+v %v", rep, err)
	}
	if got := p.Running().Lanes[0].Cameras[0]; got.ROIs[0].Polygon[0][0] != 0.2 || got.URL != "rtsp://cam.local/ch1" {
		t.Fatalf("running camera %+v", got)
	}
	if r := pub.last(t, topic); r.Version != 1 || !strings.Contains(string(r.Config), "0.2") {
		t.Fatalf("config/reported %+v %s", r, r.Config)
	}
	a, err := control.Store{Dir: filepath.Join(local.Store.Dir, "control")}.LoadApplied()
	if err != nil || a.Version != 1 || a.By != "console:tech" {
		t.Fatalf("applied state %+v %v", a, err)
	}

	rep, _ = p.SetRegions(ctx, "exit-1", "wheels", []config.ROI{{Name: "wheels", Polygon: [][]float64{{0.2, 0.6}, {1.4, 0.6}, {0.9, 0.9}}}}, "console:tech")
	if rep.Status != wire.Rejected || len(rep.Errors) == 0 || rep.Errors[0].Path != "lanes[0].cameras[0].rois[0].polygon[1]" {
		t.Fatalf("a point outside the frame: %+v", rep)
	}
	rep, _ = p.SetRegions(ctx, "exit-1", "wheels", square(0.5), "console:tech")
	if rep.Status != wire.RolledBack || rep.Version != 2 || p.Running().Lanes[0].Cameras[0].ROIs[0].Polygon[0][0] != 0.2 {
		t.Fatalf("regions whose camera does not come up: %+v", rep)
	}
	rep, _ = p.SetRegions(ctx, "exit-1", "nope", square(0.3), "console:tech")
	if rep.Status != wire.Rejected {
		t.Fatalf("an unknown camera: %+v", rep)
	}
	rep, _ = p.SetRegions(ctx, "exit-1", "wheels", square(0.3), "console:tech")
	if rep.Status != wire.Applied || rep.Version != 3 {
		t.Fatalf("after a rollback: %+v", rep)
	}
	cancel()
	<-done

	// Restarted, with remote config still off, the gateway runs the console's change.
	p2, run, err := New(Options{Local: local, Runner: rr, Publish: discard, Registry: &registry.Current{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Counts().Version != 3 || run.Lanes[0].Cameras[0].ROIs[0].Polygon[0][0] != 0.3 {
		t.Fatalf("after a restart: version %d, regions %v", p2.Counts().Version, run.Lanes[0].Cameras[0].ROIs)
	}
}

// TestRunningPartCarriesEveryRemoteKey: a console change is the whole remote part of the
// running config; a remote key it left out would fall back to its default.
func TestRunningPartCarriesEveryRemoteKey(t *testing.T) {
	b, err := runningPart(nil, config.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range control.RemoteKeys {
		if !strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("runningPart leaves out %q: %s", k, b)
		}
	}
}
