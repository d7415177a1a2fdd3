//go:build !nocv

package cli_test

import (
	"strings"
	"testing"
	"time"

	"sitegate/agent/mudlearn"
	config "sitegate/firmware-config"
	"sitegate/models/vision/head"
)

func TestLearnMudUsageAndRollback(t *testing.T) {
	cfg := mudConfig(t, t.TempDir(), "classic", "0.5")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"learn"}, 2, "usage: sitegate learn mud"},
		{[]string{"learn", "mud", "--config", cfg}, 2, "usage: sitegate learn mud"},
		{[]string{"learn", "mud", "--config", cfg, "--camera", "side"}, 2, `no camera "side"`},
		{[]string{"learn", "mud", "--config", cfg, "--camera", "wheels", "--rollback"}, 1, "nothing to roll back"},
	} {
		code, _, errOut := runMud(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	// Two adopted versions: --rollback goes back one at a time.
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := c.Store.Dir
	vs := mudlearn.Open(mudlearn.ModelsDir(store), "wheels")
	h := head.Head{Schema: head.Schema, Scorer: "classic", Regions: []string{"wheels", "lower-body"}, Weights: []float64{1, 0}, Threshold: 0.5}
	for i := 0; i < 2; i++ {
		if _, err := vs.Adopt(mudlearn.Model{FittedAt: time.Now(), Head: h}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runMud("learn", "mud", "--config", cfg, "--camera", "wheels", "--rollback")
	if code != 0 || !strings.Contains(out, "classic/wheels-v1 is in force again") {
		t.Fatalf("rollback: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runMud("learn", "mud", "--config", cfg, "--camera", "wheels", "--rollback", "--json")
	if code != 0 || strings.TrimSpace(out) != `{"camera":"wheels","model":"classic/shipped"}` {
		t.Fatalf("rollback --json: exit %d, %q", code, out)
	}
}
