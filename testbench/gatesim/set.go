package gatesim

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Options says what WriteSet writes.
type Options struct {
	Gates   int   // gate folders gate-00 .. ; each a RandomGate of the seed (or a named gate)
	PerGate int   // frames per gate, half clean, half muddy
	Seed    int64 // the whole set follows from it
	Width   int   // frame size; 0 keeps 1920x1080
	Height  int
	Named   bool // the first gates are NamedGates, the rest random
	Blind   int  // frames in blind/ (about a quarter of them are seeing controls)
	Empty   int  // frames in empty/ (the lane without a vehicle, over the gates)
}

// SetGates gives the gates a set of these options holds, in folder order.
func SetGates(o Options) []Gate {
	named := NamedGates()
	out := make([]Gate, o.Gates)
	for i := range out {
		var g Gate
		if o.Named && i < len(named) {
			g = named[i]
		} else {
			g = RandomGate(rand.New(rand.NewSource(mixSeed(o.Seed, int64(i), -1))))
		}
		if o.Width > 0 && o.Height > 0 {
			g.Width, g.Height = o.Width, o.Height
		}
		out[i] = g
	}
	return out
}

func mixSeed(parts ...int64) int64 {
	h := uint64(0xcbf29ce484222325)
	for _, p := range parts {
		h ^= uint64(p)
		h *= 0x100000001b3
		h ^= h >> 29
	}
	return int64(h >> 1)
}

// GateFrame renders frame j of a gate set: clean when j is even, muddy when odd.
func GateFrame(g Gate, seed int64, gate, j int) (image.Image, Label, Condition) {
	rng := rand.New(rand.NewSource(mixSeed(seed, int64(gate), int64(j))))
	t := RandomTruck(rng, g, j%2 == 1)
	c := RandomCondition(rng, g)
	img, lab := Render(g, t, c, rng)
	return img, lab, c
}

// WriteSet writes a set of frames under dir: gate-XX/{frames/*.jpg, labels.csv, details.csv,
// camera.yaml}, blind/{frames, labels.csv} and empty/{frames, labels.csv}.
func WriteSet(dir string, o Options) error {
	if o.Gates < 0 || o.PerGate < 0 || o.Blind < 0 || o.Empty < 0 {
		return fmt.Errorf("gatesim: negative counts in %+v", o)
	}
	gates := SetGates(o)
	for i, g := range gates {
		if err := g.Validate(); err != nil {
			return err
		}
		gd := filepath.Join(dir, fmt.Sprintf("gate-%02d", i))
		if err := os.MkdirAll(filepath.Join(gd, "frames"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gd, "camera.yaml"), []byte(g.CameraYAML()), 0o644); err != nil {
			return err
		}
		var labels, details strings.Builder
		for j := 0; j < o.PerGate; j++ {
			img, lab, c := GateFrame(g, o.Seed, i, j)
			name := fmt.Sprintf("%04d.jpg", j)
			if err := writeJPEG(filepath.Join(gd, "frames", name), img, c.JPEGQuality); err != nil {
				return err
			}
			label := "clean"
			if lab.Muddy {
				label = "muddy"
			}
			fmt.Fprintf(&labels, "%s,%s,%s,%.2f\n", name, label, lab.Condition, lab.Severity)
			fmt.Fprintf(&details, "%s,%s,%s,%.2f,%s,%s,%t,%s,%d\n", name, label, lab.Condition, lab.Severity,
				lab.Kind, strings.Join(lab.Hard, ";"), lab.Partial, strings.Join(lab.Occluders, ";"), len(lab.Wheels))
		}
		if err := os.WriteFile(filepath.Join(gd, "labels.csv"), []byte(labels.String()), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gd, "details.csv"), []byte(details.String()), 0o644); err != nil {
			return err
		}
	}
	if o.Blind > 0 {
		if err := writeBlind(filepath.Join(dir, "blind"), o, gates); err != nil {
			return err
		}
	}
	if o.Empty > 0 && len(gates) > 0 {
		if err := writeEmpty(filepath.Join(dir, "empty"), o, gates); err != nil {
			return err
		}
	}
	return nil
}

func writeJPEG(path string, img image.Image, q int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := jpeg.Encode(w, img, &jpeg.Options{Quality: q}); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeBlind(dir string, o Options, gates []Gate) error {
	if err := os.MkdirAll(filepath.Join(dir, "frames"), 0o755); err != nil {
		return err
	}
	var labels strings.Builder
	for j := 0; j < o.Blind; j++ {
		g := blindGate(o, gates, j)
		rng := rand.New(rand.NewSource(mixSeed(o.Seed, -2, int64(j))))
		reason := ""
		if j%4 != 3 {
			reason = BlindReasons[(j-j/4)%len(BlindReasons)]
		}
		img, q := BlindFrame(g, reason, rng)
		name := fmt.Sprintf("%04d.jpg", j)
		if err := writeJPEG(filepath.Join(dir, "frames", name), img, q); err != nil {
			return err
		}
		if reason == "" {
			fmt.Fprintf(&labels, "%s,false,ok\n", name)
		} else {
			fmt.Fprintf(&labels, "%s,true,%s\n", name, reason)
		}
	}
	return os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(labels.String()), 0o644)
}

func blindGate(o Options, gates []Gate, j int) Gate {
	if len(gates) > 0 {
		return gates[j%len(gates)]
	}
	g := RandomGate(rand.New(rand.NewSource(mixSeed(o.Seed, -3, int64(j)))))
	if o.Width > 0 && o.Height > 0 {
		g.Width, g.Height = o.Width, o.Height
	}
	return g
}

func writeEmpty(dir string, o Options, gates []Gate) error {
	if err := os.MkdirAll(filepath.Join(dir, "frames"), 0o755); err != nil {
		return err
	}
	var labels strings.Builder
	for j := 0; j < o.Empty; j++ {
		gi := j % len(gates)
		g := gates[gi]
		rng := rand.New(rand.NewSource(mixSeed(o.Seed, -4, int64(j))))
		c := RandomCondition(rng, g)
		img, _ := Render(g, Truck{}, c, rng)
		name := fmt.Sprintf("%04d.jpg", j)
		if err := writeJPEG(filepath.Join(dir, "frames", name), img, c.JPEGQuality); err != nil {
			return err
		}
		fmt.Fprintf(&labels, "%s,gate-%02d,%s\n", name, gi, c.Light)
	}
	return os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(labels.String()), 0o644)
}
