// Package model ships sitegate's mud classifier (mud-cnn.onnx and its spec, trained by
// models/mud/train) inside the binary, so the demo and a fresh gateway can write it out
// without the source tree.
package model

import (
	_ "embed"
	"os"
	"path/filepath"
)

//go:embed mud-cnn.onnx
var onnx []byte

//go:embed mud-cnn.yaml
var spec []byte

// Write puts mud-cnn.onnx and mud-cnn.yaml into dir and returns the spec's path, for a
// camera's `mud.model`.
func Write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "mud-cnn.onnx"), onnx, 0o644); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "mud-cnn.yaml")
	return path, os.WriteFile(path, spec, 0o644)
}
