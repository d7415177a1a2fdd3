package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"sitegate/agent/control"
	config "sitegate/firmware-config"
)

// TestRebootRunsLastApplied: with no broker at all, the config the gateway starts with is the
// last applied desired config, laid over the local file; a stale candidate is discarded.
func TestRebootRunsLastApplied(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`site: r
gateway: gw-01
store: {dir: data}
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
			g, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			run, err := g.initControl()
			if err != nil {
				t.Fatal(err)
			}
			if run.Rules.Overload.ToleranceKg != c.want || g.ctl.applied.Version != c.version {
				t.Fatalf("runs tolerance %g version %d", run.Rules.Overload.ToleranceKg, g.ctl.applied.Version)
			}
			if b, _ := st.Load(control.CandidateFile); b != nil {
				t.Fatal("stale candidate kept")
			}
		})
	}
}
