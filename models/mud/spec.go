package mud

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"
)

// Spec describes an ONNX mud classifier: which file, what it takes and what it answers. It is
// written in YAML (or JSON) beside the model:
//
//	file: mud-cnn.onnx
//	sha256: 3f0c...            # optional; checked at load
//	input: {width: 96, height: 48, order: rgb}
//	mean: [127.5, 127.5, 127.5] # subtracted per channel, in input order, from 0..255 values
//	scale: 0.0078125            # then multiplied
//	labels: [clean, muddy]      # the model's outputs, in order
//	positive: muddy             # the label whose probability is the mud score
type Spec struct {
	File   string `yaml:"file"`
	SHA256 string `yaml:"sha256"`
	Input  struct {
		Width  int    `yaml:"width"`
		Height int    `yaml:"height"`
		Order  string `yaml:"order"`
	} `yaml:"input"`
	Mean     []float64 `yaml:"mean"`
	Scale    float64   `yaml:"scale"`
	Labels   []string  `yaml:"labels"`
	Positive string    `yaml:"positive"`
	// Threshold is the threshold the model was validated at, a starting point for calibration.
	Threshold float64 `yaml:"threshold"`
}

// MaxSpecBytes bounds a spec file.
const MaxSpecBytes = 64 << 10

// ParseSpec decodes and checks a spec. Unknown keys are errors.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	if len(data) > MaxSpecBytes {
		return s, fmt.Errorf("model spec: larger than %d bytes", MaxSpecBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("model spec: %w", err)
	}
	switch {
	case s.File == "":
		return Spec{}, fmt.Errorf("model spec: file: must be set")
	case s.Input.Width < 8 || s.Input.Width > 1024 || s.Input.Height < 8 || s.Input.Height > 1024:
		return Spec{}, fmt.Errorf("model spec: input: %dx%d is outside 8..1024", s.Input.Width, s.Input.Height)
	case s.Input.Order != "rgb" && s.Input.Order != "bgr":
		return Spec{}, fmt.Errorf("model spec: input.order: %q is not rgb or bgr", s.Input.Order)
	case len(s.Mean) != 3:
		return Spec{}, fmt.Errorf("model spec: mean: needs 3 values, got %d", len(s.Mean))
	case !(s.Scale > 0 && s.Scale < 10):
		return Spec{}, fmt.Errorf("model spec: scale: %g must be in (0, 10)", s.Scale)
	case len(s.Labels) < 2 || len(s.Labels) > 64:
		return Spec{}, fmt.Errorf("model spec: labels: need 2..64, got %d", len(s.Labels))
	case !slices.Contains(s.Labels, s.Positive):
		return Spec{}, fmt.Errorf("model spec: positive: %q is not among the labels", s.Positive)
	case s.Threshold < 0 || s.Threshold > 1:
		return Spec{}, fmt.Errorf("model spec: threshold: %g is outside 0..1", s.Threshold)
	}
	return s, nil
}

// LoadSpec reads a spec file; its model file is made absolute against the spec's folder, and its
// checksum is verified when the spec gives one.
func LoadSpec(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("model spec %s: %w", path, err)
	}
	s, err := ParseSpec(data)
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if !filepath.IsAbs(s.File) {
		s.File = filepath.Join(filepath.Dir(path), s.File)
	}
	if s.SHA256 != "" {
		model, err := os.ReadFile(s.File)
		if err != nil {
			return Spec{}, fmt.Errorf("model spec %s: %w", path, err)
		}
		sum := sha256.Sum256(model)
		if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
			return Spec{}, fmt.Errorf("model spec %s: %s has sha256 %s, the spec says %s", path, s.File, got, s.SHA256)
		}
	}
	return s, nil
}

// positiveIndex is the output index of the positive label.
func (s Spec) positiveIndex() int { return slices.Index(s.Labels, s.Positive) }
