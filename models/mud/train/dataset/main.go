//go:build !nocv

// Command dataset writes the region patches of generated frames, exactly as the ONNX scorer
// cuts them, for train.py: a little-endian file of uint32 count, width, height, then per patch
// one label byte (0 clean, 1 muddy), one condition byte (index in scene.Conditions) and
// width×height×3 RGB bytes. With -yard, frames of testbench/yardsim gates follow (condition byte
// 255), cut at each gate's own regions after passing through JPEG as at a camera.
//
//	go run ./models/mud/train/dataset -seed 1 -per-cell 120 -out /tmp/mud-train.bin
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"log"
	"os"
	"slices"

	"sitegate/models/mud"
	"sitegate/models/mud/train/gateeval"
	"sitegate/testbench/scene"
	"sitegate/testbench/yardsim"

	"gocv.io/x/gocv"
)

func main() {
	seed := flag.Uint64("seed", 1, "set seed (below 1000 for training)")
	perCell := flag.Int("per-cell", 120, "frames per condition and severity pair")
	w := flag.Int("width", 96, "patch width (the model's input)")
	h := flag.Int("height", 32, "patch height (the model's input)")
	out := flag.String("out", "mud-train.bin", "output file")
	gates := flag.Int("gates", 0, "also draw frames at this many generated gates (gateeval.FitGates, or ValidationGates with -validation)")
	gatePer := flag.Int("gate-per-cell", 8, "frames per condition and severity pair at each gate")
	validation := flag.Bool("validation", false, "draw the gates from gateeval.ValidationGates")
	yard := flag.Int("yard", 0, "also draw frames at this many testbench/yardsim gates, each with its own regions")
	yardPer := flag.Int("yard-per-gate", 40, "frames at each yardsim gate (half muddy)")
	yardSeed := flag.Uint64("yard-seed", 1, "yardsim seed")
	flag.Parse()
	var regions []mud.Region
	for _, r := range scene.Regions {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		regions = append(regions, reg)
	}
	var specs []scene.Spec
	if *perCell > 0 {
		specs = scene.SetOptions{Seed: *seed, PerCell: *perCell}.Specs()
	}
	if *gates > 0 {
		gs := gateeval.FitGates(*gates)
		if *validation {
			gs = gateeval.ValidationGates(*gates)
		}
		specs = append(specs, scene.SetOptions{Seed: *seed + 100, PerCell: *gatePer, Gates: gs}.Specs()...)
	}
	patches := make([][][]byte, len(specs))
	if err := gateeval.Each(specs, 640, 360, func(i int, f gateeval.FrameRef) error {
		ps, err := mud.Patches(f.Mat, gateeval.Regions(specs[i].Gate), *w, *h)
		patches[i] = ps
		return err
	}); err != nil {
		log.Fatal(err)
	}
	yp, yl := yardPatches(*yardSeed, *yard, *yardPer, *w, *h)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	binary.Write(bw, binary.LittleEndian, [3]uint32{uint32(len(specs)*len(regions) + len(yp)), uint32(*w), uint32(*h)})
	for i, s := range specs {
		ps := patches[i]
		for k, r := range regions {
			label := byte(0)
			if scene.RegionLabel(s.Severity, r.Name) == "muddy" {
				label = 1
			}
			bw.Write([]byte{label, byte(slices.Index(scene.Conditions, s.Condition))})
			rgb := ps[k]
			for i := 0; i+2 < len(rgb); i += 3 {
				rgb[i], rgb[i+2] = rgb[i+2], rgb[i]
			}
			bw.Write(rgb)
		}
	}
	for i, p := range yp {
		label := byte(0)
		if yl[i] {
			label = 1
		}
		bw.Write([]byte{label, 255})
		bw.Write(p)
	}
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// yardPatches cuts the regions of per frames at each of n yardsim gates (RGB) with their labels.
func yardPatches(seed uint64, n, per, w, h int) ([][]byte, []bool) {
	var ps [][]byte
	var ls []bool
	for gi := 0; gi < n; gi++ {
		g := yardsim.NewGate(seed, gi)
		var regions []mud.Region
		for _, r := range g.ROIs(640, 360) {
			regions = append(regions, mud.Region{Name: r.Name, Polygon: r.Polygon})
		}
		for j, muddy := range g.Labels(per) {
			b, cond, err := g.RenderJPEG(j, muddy, 640, 360)
			if err != nil {
				log.Fatal(err)
			}
			m, err := gocv.IMDecode(b, gocv.IMReadColor)
			if err != nil || m.Empty() {
				log.Fatalf("yardsim gate %d frame %d: decode: %v", gi, j, err)
			}
			pp, err := mud.Patches(m, regions, w, h)
			m.Close()
			if err != nil {
				log.Fatal(err)
			}
			for k, r := range regions {
				rgb := pp[k]
				for i := 0; i+2 < len(rgb); i += 3 {
					rgb[i], rgb[i+2] = rgb[i+2], rgb[i]
				}
				ps = append(ps, rgb)
				ls = append(ls, yardsim.RegionMuddy(r.Name, cond))
			}
		}
	}
	return ps, ls
}
