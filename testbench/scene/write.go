//go:build !nocv

package scene

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gocv.io/x/gocv"
)

// LabelsHeader is the header of the labels CSV that WriteSet writes: file and label, which
// `sitegate eval mud` reads, then columns to break results down by.
var LabelsHeader = []string{"file", "label", "condition", "severity", "shape", "cab", "body", "blur", "jpeg_quality", "gate", "hazards"}

// WriteSet writes the set's pictures as JPEGs (at each spec's quality) into dir and their labels
// into dir/labels.csv, and returns the labels file's path.
func WriteSet(dir string, o SetOptions) (string, error) {
	o = o.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("scene set %s: %w", dir, err)
	}
	labels := filepath.Join(dir, "labels.csv")
	f, err := os.Create(labels)
	if err != nil {
		return "", fmt.Errorf("scene set %s: %w", dir, err)
	}
	defer f.Close()
	cw := csv.NewWriter(f)
	cw.Write(LabelsHeader)
	for i, s := range o.Specs() {
		name := fmt.Sprintf("%04d-%s.jpg", i, s)
		if err := writeJPEG(filepath.Join(dir, name), s, o.Width, o.Height); err != nil {
			return "", err
		}
		cw.Write([]string{name, s.Severity.Label(), string(s.Condition), string(s.Severity), string(s.Shape), s.Cab, s.Body,
			strconv.FormatFloat(s.Blur, 'f', 1, 64), strconv.Itoa(s.JPEGQuality), gateName(s.Gate), s.Hazards.Names()})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return "", fmt.Errorf("scene set %s: %w", labels, err)
	}
	return labels, f.Close()
}

func gateName(g Gate) string {
	if g.Name == "" {
		return "reference"
	}
	return g.Name
}

// RegionsYAML is the cameras[].rois block a technician would write for gate g.
func RegionsYAML(g Gate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\nrois:\n", g)
	for _, r := range g.Regions() {
		fmt.Fprintf(&b, "  - name: %s\n    polygon: [", r.Name)
		for i, p := range r.Polygon {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[%s, %s]", strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func writeJPEG(path string, s Spec, w, h int) error {
	b, err := JPEG(s, w, h)
	if err != nil {
		return fmt.Errorf("scene %s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o644)
}

// JPEG draws spec at w×h and encodes it as a camera sends it: JPEG at the spec's quality (95
// when it has none).
func JPEG(s Spec, w, h int) ([]byte, error) {
	m, err := Render(s, w, h)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	q := s.JPEGQuality
	if q <= 0 {
		q = 95
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, q})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}
