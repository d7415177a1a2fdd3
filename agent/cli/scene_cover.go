//go:build !nocv

package cli

import (
	"fmt"
	"io"

	"sitegate/testbench/coverscene"
)

// runSceneCover writes a labelled set for the cover check (testbench/coverscene).
func runSceneCover(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scene cover", stderr)
	out := fs.String("out", "", "output folder")
	seed := fs.Int64("seed", 1000, "seed; sets of different seeds share no picture")
	perCell := fs.Int("per-cell", 5, "pictures of each label per condition and gate")
	gates := fs.Int("gates", 0, "draw at N random gates (fitting gates from seed 1; 0: the two reference gates)")
	eval := fs.Bool("eval", false, "with --gates: the evaluation gates (seeds from 2001, never fitted on)")
	w := fs.Int("width", 640, "width")
	h := fs.Int("height", 360, "height (keep 16:9 for the regions in camera.yaml)")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 || *gates < 0 {
		fmt.Fprintln(stderr, "usage: sitegate scene cover --out DIR [--seed N] [--per-cell K] [--gates N [--eval]] [--width W --height H]")
		return ExitUsage
	}
	o := coverscene.SetOptions{Seed: *seed, PerCell: *perCell, Width: *w, Height: *h}
	if *gates > 0 {
		o.Gates = coverscene.FitGates(*gates)
		if *eval {
			o.Gates = coverscene.EvalGates(*gates)
		}
	}
	if err := coverscene.WriteSet(*out, o); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitRuntime
	}
	fmt.Fprintf(stdout, "wrote %d frames to %s\n", len(o.Items()), *out)
	return ExitOK
}
