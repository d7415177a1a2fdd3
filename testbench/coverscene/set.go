package coverscene

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LabelsHeader is labels.csv's header (the cover branches' agreed columns).
var LabelsHeader = []string{"file", "label", "condition", "view", "gate", "cover", "load"}

// DetailsHeader is details.csv's header: the same files with what explains hard cases.
var DetailsHeader = []string{"file", "truck", "torn", "jpeg_quality", "hard"}

// SetOptions describes a labelled set.
type SetOptions struct {
	// Seed decides every picture; sets of different seeds share none.
	Seed int64
	// PerCell is the number of pictures of each label in each condition at each gate
	// (default 5), so every (gate, condition) cell holds as many of each label.
	PerCell int
	// Gates to draw at; default the two reference gates.
	Gates []Gate
	// Width and Height of the pictures; default 640x360 (1920x1080 also keeps the regions).
	Width, Height int
	// Conditions to draw; default all.
	Conditions []string
}

func (o SetOptions) withDefaults() SetOptions {
	if o.PerCell <= 0 {
		o.PerCell = 5
	}
	if len(o.Gates) == 0 {
		o.Gates = []Gate{ReferenceGate(Above), ReferenceGate(Side)}
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 640, 360
	}
	if len(o.Conditions) == 0 {
		o.Conditions = Conditions
	}
	return o
}

// Item is one picture of a set: where it goes, at which gate, what it shows and its seed.
type Item struct {
	File string // relative to the set's directory
	Gate int    // index in SetOptions.Gates
	Spec Spec
	Seed int64
}

// Items lists a set's pictures in order: per gate, per condition, PerCell of each label,
// the labels interleaved.
func (o SetOptions) Items() []Item {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0xc0e5e7))
	var out []Item
	for gi, g := range o.Gates {
		n := 0
		for _, c := range o.Conditions {
			for k := 0; k < o.PerCell; k++ {
				for _, l := range Labels {
					s := RandomSpec(rng, l)
					s.Condition = c
					if g.PersonRate > 0 {
						s.Person = rng.Float64() < g.PersonRate
					}
					file := fmt.Sprintf("frames/%04d.jpg", n)
					if len(o.Gates) > 1 {
						file = fmt.Sprintf("gate-%02d/%s", gi, file)
					}
					out = append(out, Item{File: file, Gate: gi, Spec: s, Seed: int64(rng.Uint64() >> 1)})
					n++
				}
			}
		}
	}
	return out
}

// WriteSet renders the set into dir: the frames (frames/NNNN.jpg, or gate-XX/frames/NNNN.jpg
// with more than one gate), labels.csv and details.csv over all of them, and camera.yaml (the
// regions a technician draws) for the one gate, or in each gate-XX with its own labels.csv
// (files relative to it) so that each gate's folder is a set by itself.
func WriteSet(dir string, o SetOptions) error {
	o = o.withDefaults()
	items := o.Items()
	multi := len(o.Gates) > 1
	for gi, g := range o.Gates {
		gdir := dir
		if multi {
			gdir = filepath.Join(dir, fmt.Sprintf("gate-%02d", gi))
		}
		if err := os.MkdirAll(filepath.Join(gdir, "frames"), 0o755); err != nil {
			return fmt.Errorf("coverscene: %w", err)
		}
		if err := os.WriteFile(filepath.Join(gdir, "camera.yaml"), []byte(CameraYAML(g)), 0o644); err != nil {
			return fmt.Errorf("coverscene: %w", err)
		}
	}
	var labels, details [][]string
	perGate := make([][][]string, len(o.Gates))
	for _, it := range items {
		g := o.Gates[it.Gate]
		img, lab := Render(g, it.Spec, it.Seed, o.Width, o.Height)
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: it.Spec.Quality}); err != nil {
			return fmt.Errorf("coverscene %s: %w", it.File, err)
		}
		if err := os.WriteFile(filepath.Join(dir, it.File), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("coverscene: %w", err)
		}
		row := []string{it.File, lab.Label, lab.Condition, lab.View, lab.Gate, lab.Cover, lab.Load}
		labels = append(labels, row)
		details = append(details, []string{it.File, lab.Truck, lab.Torn, strconv.Itoa(lab.Quality), strings.Join(lab.Hard, " ")})
		if multi {
			r := append([]string(nil), row...)
			r[0] = strings.TrimPrefix(it.File, fmt.Sprintf("gate-%02d/", it.Gate))
			perGate[it.Gate] = append(perGate[it.Gate], r)
		}
	}
	if err := writeCSV(filepath.Join(dir, "labels.csv"), LabelsHeader, labels); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "details.csv"), DetailsHeader, details); err != nil {
		return err
	}
	if multi {
		for gi, rows := range perGate {
			if err := writeCSV(filepath.Join(dir, fmt.Sprintf("gate-%02d", gi), "labels.csv"), LabelsHeader, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeCSV(path string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return fmt.Errorf("coverscene %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("coverscene: %w", err)
	}
	return nil
}

// CameraYAML is the camera block a technician writes at gate g (id bed, the cover regions).
func CameraYAML(g Gate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\nid: bed\ncover:\n  rois:\n", g)
	for _, r := range g.Regions() {
		fmt.Fprintf(&b, "    - name: %s\n      polygon: [", r.Name)
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
