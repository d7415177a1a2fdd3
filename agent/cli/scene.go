//go:build !nocv

package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"sitegate/testbench/scene"
)

func init() {
	register(command{name: "scene", usage: "  scene frames --out DIR [--seed N] [--per-cell K] [--gate G]   labelled mud test frames (labels.csv; at gate G: rois.yaml)\n" +
		"  scene clip --out FILE.avi [--seed N] [--trucks K] a clip of trucks passing the gate\n" +
		"  scene cover --out DIR [--seed N] [--per-cell K] [--gates N [--eval]]   labelled cover check frames (labels.csv, camera.yaml)\n", run: runScene})
}

func runScene(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "cover" {
		return runSceneCover(args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "frames" && args[0] != "clip") {
		fmt.Fprintln(stderr, "usage: sitegate scene frames|clip|cover --out PATH [--seed N]")
		return ExitUsage
	}
	fs := newFlags("scene "+args[0], stderr)
	out := fs.String("out", "", "output folder (frames) or file (clip)")
	seed := fs.Uint64("seed", 1000, "seed; sets from different seeds share no picture (models were fitted below 1000)")
	perCell := fs.Int("per-cell", 10, "frames: pictures per condition and severity pair")
	trucks := fs.Int("trucks", 3, "clip: trucks")
	w := fs.Int("width", 640, "width")
	h := fs.Int("height", 360, "height")
	gate := fs.Uint64("gate", 0, "frames: draw at the gate geometry of this seed (0: the reference gate), with its hazards; writes the gate's rois.yaml")
	if err := fs.Parse(args[1:]); err != nil || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sitegate scene frames|clip --out PATH [--seed N]")
		return ExitUsage
	}
	if args[0] == "frames" {
		o := scene.SetOptions{Seed: *seed, PerCell: *perCell, Width: *w, Height: *h}
		if *gate != 0 {
			o.Gates = scene.Gates(*gate, 1, fmt.Sprintf("gate-%d", *gate))
		}
		labels, err := scene.WriteSet(*out, o)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return ExitRuntime
		}
		if *gate != 0 {
			rois := filepath.Join(*out, "rois.yaml")
			if err := os.WriteFile(rois, []byte(scene.RegionsYAML(o.Gates[0])), 0o644); err != nil {
				fmt.Fprintln(stderr, err)
				return ExitRuntime
			}
			fmt.Fprintf(stdout, "wrote %s\n", rois)
		}
		fmt.Fprintf(stdout, "wrote %s\n", labels)
		return ExitOK
	}
	rng := rand.New(rand.NewPCG(*seed, 0xc11b))
	var specs []scene.Spec
	for i := 0; i < max(1, *trucks); i++ {
		specs = append(specs, scene.Random(rng, scene.Conditions[rng.IntN(len(scene.Conditions))], scene.Severities[i%len(scene.Severities)]))
	}
	if err := scene.WriteClip(*out, scene.ClipOptions{Width: *w, Height: *h, Trucks: specs}); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitRuntime
	}
	for _, s := range specs {
		fmt.Fprintf(stdout, "%s\n", s)
	}
	return ExitOK
}
