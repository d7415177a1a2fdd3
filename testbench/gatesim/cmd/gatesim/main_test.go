package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-out", dir, "-gates", "1", "-per-gate", "2", "-seed", "4", "-size", "128x72", "-blind", "1", "-empty", "1"}
	if err := run(args, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, f := range []string{"gate-00/camera.yaml", "gate-00/labels.csv", "gate-00/frames/0001.jpg", "blind/labels.csv", "empty/frames/0000.jpg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(out.String(), "wrote 1 gates x 2 frames") {
		t.Errorf("stdout %q", out.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-gates", "1"}, {"-out", t.TempDir(), "-size", "big"}, {"-out", t.TempDir(), "-size", "10x10"}} {
		var out, errb bytes.Buffer
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
