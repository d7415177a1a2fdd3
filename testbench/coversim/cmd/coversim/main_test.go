package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesASet(t *testing.T) {
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("renders frames: skipped under emulation")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-out", dir, "-gates", "1", "-per-gate", "4", "-seed", "5", "-size", "96x54", "-blind", "4"}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	for _, f := range []string{"gate-01/labels.csv", "gate-01/camera.yaml", "gate-01/frames/0003.jpg", "blind/labels.csv", "blind/frames/0003.jpg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(out.String(), "1 gates x 4 frames at 96x54") {
		t.Errorf("stdout %q", out.String())
	}
}

func TestRunRejects(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-out", t.TempDir(), "-size", "640"},
		{"-out", t.TempDir(), "-size", "10x10"},
		{"-out", t.TempDir(), "-gates", "0"},
		{"-out", t.TempDir(), "-per-gate", "-1"},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}

var sizeCases = []struct {
	in   string
	w, h int
	ok   bool
}{
	{"640x360", 640, 360, true},
	{"1920X1080", 1920, 1080, true},
	{"32x32", 32, 32, true},
	{"31x32", 0, 0, false},
	{"640", 0, 0, false},
	{"x360", 0, 0, false},
	{"640x", 0, 0, false},
	{"9000x10", 0, 0, false},
	{"-640x360", 0, 0, false},
}

func TestParseSize(t *testing.T) {
	for _, c := range sizeCases {
		w, h, err := parseSize(c.in)
		if (err == nil) != c.ok || w != c.w || h != c.h {
			t.Errorf("parseSize(%q) = %d, %d, %v", c.in, w, h, err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, c := range sizeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := parseSize(s)
		if err != nil {
			return
		}
		if w < 32 || h < 32 || w > 8192 || h > 8192 {
			t.Fatalf("parseSize(%q) accepted %dx%d", s, w, h)
		}
	})
}
