package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("renders frames; skipped under emulation")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-out", dir, "-gates", "1", "-per-gate", "2", "-seed", "3", "-size", "96x64"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	y, err := os.ReadFile(filepath.Join(dir, "gate-00", "camera.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "id: wheels") || !strings.Contains(string(y), "name: lower-body") {
		t.Errorf("camera.yaml:\n%s", y)
	}
	for _, f := range []string{"frames/0000.jpg", "frames/0001.jpg", "labels.csv"} {
		if _, err := os.Stat(filepath.Join(dir, "gate-00", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestRunRejects(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-out", t.TempDir(), "-size", "big"},
		{"-out", t.TempDir(), "-gates", "0"},
		{"-nosuchflag"},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
