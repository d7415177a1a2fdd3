package remote

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/control"
	"sitegate/agent/wire"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
	"sitegate/models/registry"
)

// TestRebootRunsLastApplied: with no broker at all, the config the gateway starts with is the
// last applied desired config, laid over the local file; a stale candidate is discarded.
func TestRebootRunsLastApplied(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: {allow_unsigned: true}
lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	st := control.Store{Dir: filepath.Join(cfg.Store.Dir, "control")}
	cases := []struct {
		name    string
		applied *control.AppliedState
		want    float64 // tolerance that runs
		version int64
	}{
		{"nothing applied", nil, 0, 0},
		{"applied", &control.AppliedState{Version: 4, Config: json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"}}],"rules":{"overload":{"tolerance_kg":300}}}`)}, 300, 4},
		{"no longer fits", &control.AppliedState{Version: 5, Config: json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0","protocol":"gone"}}]}`)}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := st.Remove(control.AppliedFile); err != nil {
				t.Fatal(err)
			}
			if c.applied != nil {
				if err := st.SaveApplied(*c.applied); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Save(control.CandidateFile, []byte(`{"version":99}`)); err != nil {
				t.Fatal(err)
			}
			p, run, err := New(Options{Local: cfg, Runner: &fakeRunner{}, Publish: discard, Registry: &registry.Current{}, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			if run.Rules.Overload.ToleranceKg != c.want || p.Counts().Version != c.version || p.Running() != run {
				t.Fatalf("runs tolerance %g version %d", run.Rules.Overload.ToleranceKg, p.Counts().Version)
			}
			if b, _ := st.Load(control.CandidateFile); b != nil {
				t.Fatal("stale candidate kept")
			}
		})
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func discard(string, byte, bool, []byte) error { return nil }

// fakeRunner records the configs it is asked to run; fail, if set, says why one with that
// tolerance does not come up.
type fakeRunner struct {
	ran  []float64 // tolerances of the configs run, in order
	fail map[float64]string
}

func (f *fakeRunner) Run(_ context.Context, cfg *config.Config, _ time.Duration) error {
	tol := cfg.Rules.Overload.ToleranceKg
	f.ran = append(f.ran, tol)
	if why, ok := f.fail[tol]; ok {
		return errors.New(why)
	}
	return nil
}

// published collects what the plane publishes, by topic.
type published struct {
	mu   sync.Mutex
	msgs map[string][][]byte
}

func (p *published) publish(topic string, _ byte, _ bool, b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.msgs == nil {
		p.msgs = map[string][][]byte{}
	}
	p.msgs[topic] = append(p.msgs[topic], b)
	return nil
}

func (p *published) last(t *testing.T, topic string) wire.Reported {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	ms := p.msgs[topic]
	if len(ms) == 0 {
		t.Fatalf("nothing published on %s", topic)
	}
	var r wire.Reported
	if err := json.Unmarshal(ms[len(ms)-1], &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func testPlane(t *testing.T, runner Runner) (*Plane, *published) {
	t.Helper()
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: {apply_timeout: 1s, allow_unsigned: true}
lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub := &published{}
	p, _, err := New(Options{Local: cfg, Runner: runner, Publish: pub.publish, Registry: &registry.Current{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return p, pub
}

func desired(version int64, tol float64) []byte {
	return []byte(fmt.Sprintf(`{"version":%d,"config":{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"}}],"rules":{"overload":{"tolerance_kg":%g}}}}`, version, tol))
}

// TestApplyAndRollback: a config that comes up is applied and persisted; one that does not is
// rolled back to the running one; an older version is ignored; a bad one is rejected with paths.
func TestApplyAndRollback(t *testing.T) {
	fr := &fakeRunner{fail: map[float64]string{500: "scale exit-1 is closed"}}
	p, pub := testPlane(t, fr)
	topic := p.t.ConfigReported()
	ctx := context.Background()

	p.OnDesired(ctx, desired(2, 300))
	if r := pub.last(t, topic); r.Status != wire.Applied || r.Version != 2 || r.RunningVersion != 2 {
		t.Fatalf("v2: %+v", r)
	}
	if p.Running().Rules.Overload.ToleranceKg != 300 {
		t.Fatalf("running tolerance %g", p.Running().Rules.Overload.ToleranceKg)
	}
	if a, err := p.store.LoadApplied(); err != nil || a.Version != 2 {
		t.Fatalf("applied state %+v, %v", a, err)
	}

	p.OnDesired(ctx, desired(3, 500))
	r := pub.last(t, topic)
	if r.Status != wire.RolledBack || r.Version != 3 || r.RunningVersion != 2 || r.Reason == "" {
		t.Fatalf("v3: %+v", r)
	}
	if got := fmt.Sprint(fr.ran); got != "[300 500 300]" {
		t.Errorf("runner ran %s, want the candidate then the running config again", got)
	}
	if p.Running().Rules.Overload.ToleranceKg != 300 {
		t.Errorf("after rollback running tolerance %g", p.Running().Rules.Overload.ToleranceKg)
	}

	p.OnDesired(ctx, desired(1, 100))
	if r := pub.last(t, topic); r.Ignored == nil || r.Ignored.Version != 1 || len(fr.ran) != 3 {
		t.Errorf("older version: %+v, runner ran %v", r, fr.ran)
	}

	p.OnDesired(ctx, []byte(`{"version":4,"config":{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0","baud":9601}}]}}`))
	r = pub.last(t, topic)
	if r.Status != wire.Rejected || len(r.Errors) == 0 || r.Errors[0].Path != "lanes[0].scale.baud" || len(fr.ran) != 3 {
		t.Errorf("bad config: %+v", r)
	}
	if c := p.Counts(); c.Applied != 1 || c.RolledBack != 1 || c.Rejected != 1 || c.Version != 2 {
		t.Errorf("counts %+v", c)
	}
}

// TestCommandReplayAfterRestart: a signed command is run once, and a plane started again on the
// same store (the agent restarted) refuses the same message as a replay.
func TestCommandReplayAfterRestart(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: {trusted_keys: ["`+base64.StdEncoding.EncodeToString(pub)+`"]}
lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	topic := wire.Topics(cfg.Site, cfg.Gateway).CmdPrefix() + "restart"
	signed, err := control.Sign(priv, topic, []byte(`{"id":"r-1"}`), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	restarts := 0
	start := func() *Plane {
		p, _, err := New(Options{Local: cfg, Runner: &fakeRunner{}, Publish: discard, Registry: &registry.Current{}, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		p.Commands().Handle("restart", func(context.Context, control.Request) (any, error) {
			restarts++
			return map[string]bool{"restarting": true}, nil
		})
		return p
	}
	if r := start().Commands().Execute(context.Background(), "restart", topic, signed); !r.OK {
		t.Fatalf("first delivery: %+v", r)
	}
	r := start().Commands().Execute(context.Background(), "restart", topic, signed)
	if r.OK || !strings.Contains(r.Error, "replayed") || restarts != 1 {
		t.Fatalf("after a restart the same command: %+v (ran %d times)", r, restarts)
	}
}

// TestRejectedVersionDoesNotBlock: versions are bounded, and a rejected version (out of range,
// invalid, or badly signed) does not raise the floor: a later valid version above the applied
// one is taken even when it is below the rejected one.
func TestRejectedVersionDoesNotBlock(t *testing.T) {
	fr := &fakeRunner{}
	p, pub := testPlane(t, fr)
	topic := p.t.ConfigReported()
	ctx := context.Background()

	p.OnDesired(ctx, desired(2, 300))
	if r := pub.last(t, topic); r.Status != wire.Applied || r.Version != 2 {
		t.Fatalf("v2: %+v", r)
	}
	p.OnDesired(ctx, desired(math.MaxInt64, 500))
	r := pub.last(t, topic)
	if r.Status != wire.Rejected || len(r.Errors) != 1 || r.Errors[0].Path != "version" || !strings.Contains(r.Errors[0].Msg, "2^53-1") || r.RunningVersion != 2 {
		t.Fatalf("int64 max: %+v", r)
	}
	if r.Version < 0 || r.Version > control.MaxVersion {
		t.Errorf("reported version %d is not one JSON consumers keep exact", r.Version)
	}
	bad := []byte(`{"version":9007199254740991,"config":{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0","baud":9601}}]}}`)
	p.OnDesired(ctx, bad)
	if r := pub.last(t, topic); r.Status != wire.Rejected || r.Version != control.MaxVersion || len(r.Errors) == 0 || r.Errors[0].Path != "lanes[0].scale.baud" {
		t.Fatalf("highest version, bad config: %+v", r)
	}
	// The rejected retained message again (a reconnect): reported again, not counted again.
	p.OnDesired(ctx, bad)
	if r := pub.last(t, topic); r.Status != wire.Rejected || r.Version != control.MaxVersion {
		t.Fatalf("rejected again: %+v", r)
	}
	p.OnDesired(ctx, desired(3, 400))
	if r := pub.last(t, topic); r.Status != wire.Applied || r.Version != 3 || r.RunningVersion != 3 {
		t.Fatalf("v3 after rejected versions: %+v", r)
	}
	if p.Running().Rules.Overload.ToleranceKg != 400 {
		t.Fatalf("running tolerance %g", p.Running().Rules.Overload.ToleranceKg)
	}
	// Applied versions still raise the floor.
	p.OnDesired(ctx, desired(2, 100))
	if r := pub.last(t, topic); r.Ignored == nil || r.Ignored.Version != 2 || r.Version != 3 {
		t.Fatalf("v2 after v3: %+v", r)
	}
	if c := p.Counts(); c.Applied != 2 || c.Rejected != 2 || c.Version != 3 {
		t.Errorf("counts %+v", c)
	}
}

// TestRegistryRejectionBounded: a registry with a great many problems is reported with its error
// cut to a size the broker takes, saying how much was cut, and the rejection is logged.
func TestRegistryRejectionBounded(t *testing.T) {
	p, pub := testPlane(t, &fakeRunner{})
	var logged strings.Builder
	p.log = slog.New(slog.NewTextHandler(&logged, nil))
	var doc strings.Builder
	doc.WriteString(`{"version":3,"vehicles":[`)
	for i := range 3000 {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"plate":"浙F%05d","axles":1,"max_gross_kg":-1,"rated_load_kg":-1,"permit":{"valid_from":"x","valid_to":"y","hours":"z"}}`, i)
	}
	doc.WriteString("]}")
	p.OnRegistry([]byte(doc.String()))
	ms := pub.msgs[p.t.RegistryReported()]
	if len(ms) != 1 {
		t.Fatalf("%d registry reports", len(ms))
	}
	var rep wire.RegistryReported
	if err := json.Unmarshal(ms[0], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status != wire.Rejected || rep.Version != 3 || !strings.HasPrefix(rep.Error, "vehicles[0].axles") || !strings.Contains(rep.Error, "more bytes cut)") {
		t.Fatalf("report %.300s", ms[0])
	}
	if len(ms[0]) > control.MaxReportError+1024 {
		t.Errorf("report is %d bytes", len(ms[0]))
	}
	if !strings.Contains(logged.String(), "registry rejected") || !strings.Contains(logged.String(), "vehicles[0].axles") {
		t.Errorf("rejection not logged: %.300s", logged.String())
	}
}
