package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sitegate/agent/clock"
	"sitegate/agent/control"
	"sitegate/testbench/broker"
	"sitegate/testbench/clip"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/platecam"
	"sitegate/testbench/pty"
)

// gate is an emulated gate for commissioning: a broker with an ACL, an indicator on a pty, a
// plate camera that pushes when asked, a file camera when this build has OpenCV.
type gate struct {
	config, dir string
	plateAddr   string
	emu         *indicatoremu.Emulator
	camera      bool
}

func mosquittoWithACL(t *testing.T, acl string) *broker.Process {
	t.Helper()
	// mosquitto drops to its own user: its files live in a folder it can read.
	dir, err := os.MkdirTemp("", "sitegate-commission-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	pwFile, aclFile := filepath.Join(dir, "passwd"), filepath.Join(dir, "acl")
	for i, u := range [][2]string{{"ops", "ops-pw"}, {"site-1/gw-1", "gw1-pw"}} {
		args := []string{"-b", pwFile, u[0], u[1]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v %s", err, out)
		}
	}
	os.Chmod(pwFile, 0o644)
	if err := os.WriteFile(aclFile, []byte(acl), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{Extra: []string{"password_file " + pwFile, "acl_file " + aclFile}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	return p
}

func newGate(t *testing.T, brokerURL string) *gate {
	t.Helper()
	dir := t.TempDir()
	master, port := pty.Pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	emu := indicatoremu.New(master, 100*time.Millisecond, indicatoremu.Options{GarbageEvery: 20, Seed: 3})
	done := make(chan struct{})
	go func() { defer close(done); emu.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{dir: dir, plateAddr: addr, emu: emu}
	cams := ""
	if err := clip.Generate(filepath.Join(dir, "wheels.avi"), clip.Options{Width: 640, Height: 360, FPS: 10, Seconds: 2}); err == nil {
		g.camera = true
		cams = `    cameras:
      - id: wheels
        url: wheels.avi
        rois:
          - {name: wheels, polygon: [[0.05, 0.7], [0.95, 0.7], [0.95, 0.95], [0.05, 0.95]]}
          - {name: body, polygon: [[0.05, 0.4], [0.95, 0.4], [0.95, 0.7], [0.05, 0.7]]}
`
	}
	os.WriteFile(filepath.Join(dir, "pw"), []byte("gw1-pw\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "registry.json"), []byte(`{"version":1,"vehicles":[{"plate":"浙F66666","axles":2,"max_gross_kg":18000}]}`), 0o644)
	cfg := fmt.Sprintf(`site: site-1
gateway: gw-1
mqtt: {url: %q, username: site-1/gw-1, password_file: pw}
store: {dir: data, max_bytes: 16MiB, reserve_bytes: 8MiB}
registry: {file: registry.json}
log: {level: debug}
lanes:
  - id: exit-1
    plate_window: 10s
    plate_only_timeout: 3s
    scale: {port: %s, protocol: yaohua-tf0, on_deck_kg: 500, off_deck_kg: 200, off_deck_hold: 1s, stable_window: 1s, stable_band_kg: 40}
    plate: {listen: %q}
%s`, brokerURL, port, addr, cams)
	g.config = filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(g.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return g
}

// push sends a plate read, retrying while nothing listens yet.
func (g *gate) push(ctx context.Context, text string) error {
	for {
		err := platecam.Push(ctx, "http://"+g.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: text, Confidence: 0.95, Image: true})
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checksByName(res *Result) map[string]Check {
	m := map[string]Check{}
	for _, c := range res.Checks {
		m[c.Name] = c
	}
	return m
}

func buildBinary(t *testing.T) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sitegate")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "sitegate/agent/cmd/sitegate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return append(strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")), bin)
}

// TestCommission: a gate of emulated devices behind mosquitto with the gateway's ACL passes
// every commissioning check (the clock's as the machine's clock is), the test truck included,
// and the report holds the preview and the passage.
func TestCommission(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	exe := buildBinary(t)
	p := mosquittoWithACL(t, control.OperatorACL("ops")+control.ACL("site-1", "gw-1"))
	g := newGate(t, p.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	var out lockedBuffer
	res := Commission(ctx, CommissionOptions{
		Config: g.config, TruckKg: 15600, Plate: "浙F66666", Exec: exe, Out: &out,
		Listen: 2 * time.Second, PlateWait: 20 * time.Second, TruckWait: 60 * time.Second,
		ObserverUsername: "ops", ObserverPassword: "ops-pw",
		OnStep: func(step string) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch step {
				case "plate:exit-1":
					g.push(ctx, "浙F66666")
				case "truck":
					if g.push(ctx, "浙F66666") == nil {
						g.emu.Play(ctx, indicatoremu.Truck(15600))
					}
				}
			}()
		},
	})
	t.Logf("terminal:\n%s", out.String())
	cs := checksByName(res)
	want := []string{"config valid", "indicator exit-1 reading", "indicator exit-1 zero stable", "plate camera exit-1 heard from",
		"broker reachable", "ACL: publishes its own topics", "ACL: cannot touch another gateway's topics",
		"ACL: cannot forge its own commands", "disk free", "agent online", "test truck passage"}
	if g.camera {
		want = append(want, "camera exit-1/wheels streaming", "camera exit-1/wheels frame quality", "camera exit-1/wheels regions preview")
	}
	for _, name := range want {
		c, ok := cs[name]
		if !ok {
			t.Errorf("no check %q", name)
		} else if !c.OK {
			t.Errorf("%s failed: %s", name, c.Detail)
		}
	}
	if c := cs["clock synchronised"]; c.OK != clock.System().State().Synced {
		t.Errorf("clock check %v, the kernel says synced %v", c.OK, clock.System().State().Synced)
	}
	if len(res.Passages) != 1 || res.Passages[0].Passage.Weight == nil {
		t.Fatalf("the test truck's passage is not in the result: %+v", res.Passages)
	}
	if g.camera {
		if len(res.Previews) != 1 {
			t.Fatalf("%d previews", len(res.Previews))
		}
		if _, err := os.Stat(res.Previews[0].File); err != nil {
			t.Error(err)
		}
	}
	html := filepath.Join(t.TempDir(), "c.html")
	if err := NewReport("commission", res.Started, []*Result{res}).WriteHTML(html); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(html)
	for _, s := range []string{"test truck passage", "<svg", "data:image/jpeg;base64,"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("the report has no %q", s)
		}
	}
}

// TestCommissionWrongACL: a broker that lets the gateway write anywhere under sitegate/ fails
// the ACL checks; a silent indicator and a plate camera that never pushes fail theirs.
func TestCommissionWrongACL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	p := mosquittoWithACL(t, control.OperatorACL("ops")+"user site-1/gw-1\ntopic readwrite sitegate/#\n\n")
	g := newGate(t, p.URL())
	cfg, _ := os.ReadFile(g.config)
	cfg = []byte(strings.Replace(string(cfg), "protocol: yaohua-tf0", "protocol: toledo-cont", 1)) // the wrong protocol
	os.WriteFile(g.config, cfg, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := Commission(ctx, CommissionOptions{Config: g.config, Listen: 2 * time.Second, PlateWait: time.Second})
	cs := checksByName(res)
	for _, name := range []string{"ACL: cannot touch another gateway's topics", "ACL: cannot forge its own commands", "indicator exit-1 reading", "plate camera exit-1 heard from"} {
		if c, ok := cs[name]; !ok || c.OK {
			t.Errorf("%s: want a failed check, got %+v", name, c)
		}
	}
	if c := cs["broker reachable"]; !c.OK {
		t.Errorf("broker: %s", c.Detail)
	}
	if res.Passed() {
		t.Error("the commissioning passed")
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
