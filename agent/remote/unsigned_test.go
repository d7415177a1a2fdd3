package remote

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"sitegate/agent/control"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models/registry"
)

func planeWith(t *testing.T, control string, runner Runner) (*Plane, *published, *config.Config) {
	t.Helper()
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
control: `+control+`
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
	return p, pub, cfg
}

// TestUnsignedRefusedUnlessAllowed: with no trusted keys, an unsigned desired config is
// refused (path sig) unless the local file sets control.allow_unsigned: true.
func TestUnsignedRefusedUnlessAllowed(t *testing.T) {
	fr := &fakeRunner{}
	p, pub, _ := planeWith(t, "{apply_timeout: 1s}", fr)
	p.OnDesired(context.Background(), desired(2, 300))
	r := pub.last(t, p.t.ConfigReported())
	if r.Status != wire.Rejected || len(r.Errors) != 1 || r.Errors[0].Path != control.SigField || len(fr.ran) != 0 {
		t.Fatalf("unsigned without opt-in: %+v, ran %v", r, fr.ran)
	}
	p, pub, _ = planeWith(t, "{apply_timeout: 1s, allow_unsigned: true}", fr)
	p.OnDesired(context.Background(), desired(2, 300))
	if r := pub.last(t, p.t.ConfigReported()); r.Status != wire.Applied {
		t.Fatalf("unsigned with opt-in: %+v", r)
	}
}

// TestRebootIgnoresUnsignedApplied: an applied config left from a time unsigned configs were
// allowed is not run once the local file no longer allows them.
func TestRebootIgnoresUnsignedApplied(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte("site: r\ngateway: gw-01\nstore: {dir: data}\nlanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	st := control.Store{Dir: filepath.Join(cfg.Store.Dir, "control")}
	if err := st.SaveApplied(control.AppliedState{Version: 4, Config: json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"}}],"rules":{"overload":{"tolerance_kg":300}}}`)}); err != nil {
		t.Fatal(err)
	}
	p, run, err := New(Options{Local: cfg, Runner: &fakeRunner{}, Publish: discard, Registry: &registry.Current{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if run != cfg || p.Counts().Version != 0 {
		t.Fatalf("ran version %d, tolerance %g", p.Counts().Version, run.Rules.Overload.ToleranceKg)
	}
}
