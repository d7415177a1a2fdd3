//go:build !nocv

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"

	"sitegate/models/mud"
	"sitegate/testbench/coverscene"
)

// Frame size the sets are rendered at.
const width, height = 640, 360

// item is one labelled frame to render: its gate, spec and seed.
type item struct {
	gate coverscene.Gate
	spec coverscene.Spec
	seed int64
}

// truth is what a rendered frame is known to show.
type truth struct {
	Label, Condition, View, Gate string
	Cover                        string // the frame's cover ("" when open; "empty" for an empty bed)
}

// items lists perCell frames of each label in each condition at each gate, drawn from seed as
// coverscene's sets draw them.
func items(gates []coverscene.Gate, perCell int, seed int64) []item {
	o := coverscene.SetOptions{Seed: seed, PerCell: perCell, Gates: gates, Width: width, Height: height}
	var out []item
	for _, it := range o.Items() {
		out = append(out, item{gate: gates[it.Gate], spec: it.Spec, seed: it.Seed})
	}
	return out
}

// validationGates are the gates settings are chosen on: drawn from seeds 1001 on, between the
// fitting gates' (1..n) and the evaluation gates' (2001 on), so neither fitting nor evaluation
// sees them.
func validationGates(n int) []coverscene.Gate {
	out := make([]coverscene.Gate, n)
	for i := range out {
		out[i] = coverscene.RandomGate(int64(1001 + i))
	}
	return out
}

// frameDir, when set (-frames), keeps every rendered frame as the camera's JPEG with its truth,
// and render reads a frame from it instead of drawing it again: features can then change without
// paying for the ray tracing twice.
var frameDir string

// render draws an item as a camera would deliver it (JPEG at the spec's quality, decoded to
// BGR), with its truth and the regions a technician drew at its gate.
func render(it item) (gocv.Mat, truth, []mud.Region, error) {
	var path string
	if frameDir != "" {
		h := fnv.New64a()
		fmt.Fprintf(h, "%+v|%+v|%d|%dx%d", it.gate, it.spec, it.seed, width, height)
		path = filepath.Join(frameDir, fmt.Sprintf("%s-%016x", it.gate.Name(), h.Sum64()))
		if jb, err := os.ReadFile(path + ".jpg"); err == nil {
			var tr truth
			if tb, err := os.ReadFile(path + ".json"); err == nil && json.Unmarshal(tb, &tr) == nil {
				m, err := gocv.IMDecode(jb, gocv.IMReadColor)
				if err == nil && !m.Empty() {
					tr.Cover = it.spec.Cover // frames kept before truth had it
					return m, tr, it.gate.Regions(), nil
				}
				m.Close()
			}
		}
	}
	img, lab := coverscene.Render(it.gate, it.spec, it.seed, width, height)
	jb, err := jpegBytes(img, lab.Quality)
	if err != nil {
		return gocv.NewMat(), truth{}, nil, err
	}
	tr := truth{Label: lab.Label, Condition: lab.Condition, View: lab.View, Gate: it.gate.Name(), Cover: it.spec.Cover}
	if path != "" {
		tb, _ := json.Marshal(tr)
		if err := os.WriteFile(path+".json", tb, 0o644); err != nil {
			return gocv.NewMat(), tr, nil, err
		}
		if err := os.WriteFile(path+".jpg", jb, 0o644); err != nil {
			return gocv.NewMat(), tr, nil, err
		}
	}
	m, err := gocv.IMDecode(jb, gocv.IMReadColor)
	if err != nil || m.Empty() {
		m.Close()
		return gocv.NewMat(), tr, nil, fmt.Errorf("decode: %v", err)
	}
	return m, tr, it.gate.Regions(), nil
}

// jpegBytes is img as a camera sends it: JPEG at quality q (85 when q is not one).
func jpegBytes(img image.Image, q int) ([]byte, error) {
	if q <= 0 || q > 100 {
		q = 85
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	return buf.Bytes(), err
}

// jpegMat is img as a camera delivers it: JPEG at quality q (85 when q is not one), decoded to
// BGR.
func jpegMat(img image.Image, q int) (gocv.Mat, error) {
	b, err := jpegBytes(img, q)
	if err != nil {
		return gocv.NewMat(), err
	}
	m, err := gocv.IMDecode(b, gocv.IMReadColor)
	if err != nil || m.Empty() {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("decode: %v", err)
	}
	return m, nil
}
