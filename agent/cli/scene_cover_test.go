//go:build !nocv

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/cli"
)

func TestSceneCoverWritesASet(t *testing.T) {
	dir := t.TempDir()
	code, out := run(t, context.Background(), "scene", "cover", "--out", dir, "--per-cell", "1", "--width", "64", "--height", "36")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Two reference gates, five conditions, four labels.
	if lines := strings.Count(string(b), "\n"); lines != 1+2*5*4 {
		t.Errorf("labels.csv has %d lines:\n%s", lines, b)
	}
	for _, g := range []string{"gate-00", "gate-01"} {
		if _, err := os.Stat(filepath.Join(dir, g, "camera.yaml")); err != nil {
			t.Error(err)
		}
	}
	if code, _ := run(t, context.Background(), "scene", "cover"); code != cli.ExitUsage {
		t.Errorf("no --out: exit %d, want usage", code)
	}
}
