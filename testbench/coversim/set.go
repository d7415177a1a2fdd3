package coversim

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
)

// Options say what WriteSet writes.
type Options struct {
	Seed    int64 // the same seed writes the same bytes
	Gates   int   // number of gates, gate-01..; views alternate above, side
	PerGate int   // frames per gate; labels cycle covered, open, torn, heaped
	Width   int   // frame size; 0 means 640x360
	Height  int
	Blind   int // frames in DIR/blind; 0 means PerGate (at least 12), negative none
	Workers int // parallel renders; 0 means up to 2
}

// SetGates are the gates of a set drawn from seed: gate i (from 1) comes from seed*1000+i, the
// odd ones looking down from a gantry, the even ones from a pole beside the lane.
func SetGates(seed int64, n int) []Gate {
	gs := make([]Gate, n)
	for i := range gs {
		view := Above
		if i%2 == 1 {
			view = Side
		}
		gs[i] = RandomGateView(seed*1000+int64(i+1), view)
		gs[i].Index = i + 1
	}
	return gs
}

// frameSeed is the seed of frame i at gate gi of a set: frames do not depend on one another, so
// they can be rendered in any order and the bytes stay the same.
func frameSeed(seed int64, gi, i int) int64 {
	return int64(hash(int64(gi)*1_000_003+int64(i), seed, 0xC0FE) >> 1)
}

// FrameSpec is the spec of frame i at gate gi (0-based) of a set: the label cycles through
// AllLabels, the condition through Conditions, shifted per gate, so every gate is balanced.
func FrameSpec(seed int64, gi, i int, rng *rand.Rand) Spec {
	label := AllLabels[i%len(AllLabels)]
	cond := Conditions[(i/len(AllLabels)+gi)%len(Conditions)]
	return RandomSpec(rng, label, cond)
}

type job struct {
	path    string
	quality int
	render  func() image.Image
}

// WriteSet writes a labelled set into dir: gate-XX/frames/NNNN.jpg, gate-XX/labels.csv
// (file,label,condition,view,gate,cover,load), gate-XX/details.csv, gate-XX/camera.yaml, and the
// blind frames in blind/frames with blind/labels.csv (file,blind,reason).
func WriteSet(dir string, o Options) error {
	if o.Gates <= 0 || o.PerGate <= 0 {
		return fmt.Errorf("coversim: gates and per-gate must be positive (got %d, %d)", o.Gates, o.PerGate)
	}
	w, h := o.Width, o.Height
	if w <= 0 || h <= 0 {
		w, h = defaultW, defaultH
	}
	if w < 32 || h < 32 || w > 8192 || h > 8192 {
		return fmt.Errorf("coversim: frame size %dx%d out of range (32..8192)", w, h)
	}
	gates := SetGates(o.Seed, o.Gates)
	var jobs []job
	gateLabels := make([][]Label, len(gates))
	for gi, g := range gates {
		gdir := filepath.Join(dir, g.Name())
		if err := os.MkdirAll(filepath.Join(gdir, "frames"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gdir, "camera.yaml"), cameraYAML(g, w, h), 0o644); err != nil {
			return err
		}
		labels := make([]Label, o.PerGate)
		gateLabels[gi] = labels
		for i := 0; i < o.PerGate; i++ {
			name := fmt.Sprintf("frames/%04d.jpg", i)
			jobs = append(jobs, job{path: filepath.Join(gdir, name), quality: g.JPEGQuality, render: func() image.Image {
				rng := rand.New(rand.NewSource(frameSeed(o.Seed, gi, i)))
				s := FrameSpec(o.Seed, gi, i, rng)
				s.Width, s.Height = w, h
				img, lab := Render(g, s, rng)
				lab.File = name
				labels[i] = lab
				return img
			}})
		}
	}
	nb := o.Blind
	if nb == 0 {
		nb = max(o.PerGate, 12)
	}
	var blind []blindLabel
	if nb > 0 {
		bdir := filepath.Join(dir, "blind")
		if err := os.MkdirAll(filepath.Join(bdir, "frames"), 0o755); err != nil {
			return err
		}
		blind = make([]blindLabel, nb)
		for i := 0; i < nb; i++ {
			g := gates[i%len(gates)]
			name := fmt.Sprintf("frames/%04d.jpg", i)
			jobs = append(jobs, job{path: filepath.Join(bdir, name), quality: g.JPEGQuality, render: func() image.Image {
				rng := rand.New(rand.NewSource(frameSeed(o.Seed, -1, i)))
				img, bl := RenderBlind(g, BlindReason(i), w, h, rng)
				bl.File = name
				blind[i] = bl
				return img
			}})
		}
	}
	if err := runJobs(jobs, o.Workers); err != nil {
		return err
	}
	for gi, g := range gates {
		if err := writeLabels(filepath.Join(dir, g.Name()), gateLabels[gi]); err != nil {
			return err
		}
	}
	if nb > 0 {
		var rows [][]string
		rows = append(rows, []string{"file", "blind", "reason"})
		for _, b := range blind {
			rows = append(rows, []string{b.File, strconv.FormatBool(b.Blind), b.Reason})
		}
		if err := writeCSV(filepath.Join(dir, "blind", "labels.csv"), rows); err != nil {
			return err
		}
	}
	return nil
}

func runJobs(jobs []job, workers int) error {
	if workers <= 0 {
		workers = min(runtime.NumCPU(), 2)
	}
	ch := make(chan job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				var b bytes.Buffer
				if err := jpeg.Encode(&b, j.render(), &jpeg.Options{Quality: j.quality}); err != nil {
					errs <- fmt.Errorf("coversim: %s: %w", j.path, err)
					continue
				}
				if err := os.WriteFile(j.path, b.Bytes(), 0o644); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	close(errs)
	return <-errs // nil when the channel is empty
}

// Header of a gate's labels.csv, from the cover contract.
var Header = []string{"file", "label", "condition", "view", "gate", "cover", "load"}

// DetailsHeader of a gate's details.csv, this generator's extra truth per frame.
var DetailsHeader = []string{"file", "label", "variant", "truck", "heap_above_m", "bed_visible"}

func writeLabels(gdir string, labels []Label) error {
	rows := [][]string{Header}
	det := [][]string{DetailsHeader}
	for _, l := range labels {
		rows = append(rows, []string{l.File, l.Label, l.Condition, l.View, l.Gate, l.Cover, l.Load})
		det = append(det, []string{l.File, l.Label, l.Variant, l.Truck,
			strconv.FormatFloat(l.HeapAbove, 'f', 2, 64), strconv.FormatFloat(l.Visible, 'f', 3, 64)})
	}
	if err := writeCSV(filepath.Join(gdir, "labels.csv"), rows); err != nil {
		return err
	}
	return writeCSV(filepath.Join(gdir, "details.csv"), det)
}

func writeCSV(path string, rows [][]string) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// cameraYAML is the camera block a technician would write at gate g.
func cameraYAML(g Gate, w, h int) []byte {
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	fmt.Fprintf(bw, "# %s: %s view, camera on a %s at (%.1f, %.1f, %.1f) m; regions drawn for a typical truck where trucks stop\n",
		g.Name(), g.View, g.Mount, g.Cam.X, g.Cam.Y, g.Cam.Z)
	fmt.Fprintf(bw, "id: bed\ncover:\n  rois:\n")
	for _, r := range g.RegionsFor(w, h) {
		fmt.Fprintf(bw, "    - name: %s\n      polygon: [", r.Name)
		for i, p := range r.Polygon {
			if i > 0 {
				bw.WriteString(", ")
			}
			fmt.Fprintf(bw, "[%s, %s]", strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64))
		}
		bw.WriteString("]\n")
	}
	bw.Flush()
	return b.Bytes()
}
