package mud

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var specCases = []struct {
	name string
	in   string
	err  string // "" for valid
}{
	{"valid", "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [127.5, 127.5, 127.5]\nscale: 0.0078125\nlabels: [clean, muddy]\npositive: muddy\n", ""},
	{"json", `{"file": "m.onnx", "input": {"width": 64, "height": 64, "order": "bgr"}, "mean": [0, 0, 0], "scale": 1, "labels": ["a", "b"], "positive": "b"}`, ""},
	{"no file", "input: {width: 96, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\n", "file"},
	{"unknown key", "file: m.onnx\nfoo: 1\n", "foo"},
	{"bad order", "file: m.onnx\ninput: {width: 96, height: 32, order: yuv}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\n", "order"},
	{"tiny input", "file: m.onnx\ninput: {width: 2, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\n", "input"},
	{"two means", "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\n", "mean"},
	{"zero scale", "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 0\nlabels: [clean, muddy]\npositive: muddy\n", "scale"},
	{"positive not a label", "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: dirty\n", "positive"},
	{"threshold", "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\nthreshold: 2\n", "threshold"},
	{"not yaml", "{{{", "model spec"},
}

func TestParseSpec(t *testing.T) {
	for _, tc := range specCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tc.in))
			if tc.err == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, tc := range specCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(data)
		if err != nil {
			return
		}
		if s.File == "" || len(s.Mean) != 3 || s.positiveIndex() < 0 || s.Input.Width < 8 {
			t.Fatalf("accepted an invalid spec: %+v", s)
		}
	})
}

func TestLoadSpecChecksum(t *testing.T) {
	dir := t.TempDir()
	model := []byte("not really a model")
	if err := os.WriteFile(filepath.Join(dir, "m.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(model)
	base := "file: m.onnx\ninput: {width: 96, height: 32, order: rgb}\nmean: [0, 0, 0]\nscale: 1\nlabels: [clean, muddy]\npositive: muddy\n"
	cases := []struct {
		name, extra, err string
	}{
		{"no checksum", "", ""},
		{"right checksum", "sha256: " + hex.EncodeToString(sum[:]) + "\n", ""},
		{"wrong checksum", "sha256: " + strings.Repeat("0", 64) + "\n", "sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "spec.yaml")
			if err := os.WriteFile(path, []byte(base+tc.extra), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadSpec(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.File != filepath.Join(dir, "m.onnx") {
				t.Errorf("file %q is not resolved against the spec's folder", s.File)
			}
		})
	}
}

var onnxCases = []struct {
	name string
	in   []byte
	ok   bool
}{
	{"text", []byte("this is not ONNX"), false},
	{"empty", nil, false},
	{"minimal", []byte{0x08, 0x07, 0x3a, 0x02, 0x0a, 0x00}, true}, // ir_version 7, graph {node {}}
	{"no graph", []byte{0x08, 0x07}, false},
	{"truncated", []byte{0x08, 0x07, 0x3a, 0x05, 0x0a}, false},
	{"bad graph", []byte{0x08, 0x07, 0x3a, 0x01, 0xff}, false},
	{"wire type 7", []byte{0x0f}, false},
}

func TestCheckONNX(t *testing.T) {
	for _, tc := range onnxCases {
		if err := checkONNX(tc.in); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	shipped, err := os.ReadFile("model/mud-cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkONNX(shipped); err != nil {
		t.Errorf("shipped model: %v", err)
	}
}

func FuzzCheckONNX(f *testing.F) {
	for _, tc := range onnxCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkONNX(data) // must not panic or hang
	})
}
