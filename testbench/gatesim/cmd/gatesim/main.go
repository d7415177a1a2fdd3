// Command gatesim writes a held-out set of exit-gate wheel frames: one folder per gate with
// frames, labels and the camera's regions, plus blind and empty-lane frames.
//
//	go run ./testbench/gatesim/cmd/gatesim -out DIR -gates 6 -per-gate 100 -seed 1 [-size 1920x1080]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"sitegate/testbench/gatesim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatesim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder to write the set into (required)")
	gates := fs.Int("gates", 4, "number of gates (gate-00 ...)")
	per := fs.Int("per-gate", 40, "frames per gate, half clean and half muddy")
	seed := fs.Int64("seed", 1, "seed: the same seed writes the same set")
	size := fs.String("size", "1920x1080", "frame size WxH")
	named := fs.Bool("named", false, "make the first gates the named fixed ones")
	blind := fs.Int("blind", -1, "frames in blind/ (default: per-gate)")
	empty := fs.Int("empty", -1, "frames in empty/ (default: per-gate/4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 64 || h < 64 {
		return fmt.Errorf("-size %q: want WxH, at least 64x64", *size)
	}
	if *blind < 0 {
		*blind = *per
	}
	if *empty < 0 {
		*empty = *per / 4
	}
	o := gatesim.Options{Gates: *gates, PerGate: *per, Seed: *seed, Width: w, Height: h, Named: *named, Blind: *blind, Empty: *empty}
	if err := gatesim.WriteSet(*out, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d gates x %d frames, %d blind, %d empty to %s\n", *gates, *per, *blind, *empty, *out)
	return nil
}
