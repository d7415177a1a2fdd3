// Command yardsim writes exit-gate camera frames of trucks, clean and muddy, from a world drawn
// apart from the project's other generators, for fitting the mud models:
//
//	yardsim -out DIR -gates N -per-gate M -seed S [-size WxH]
//
// writes DIR/gate-XX/{frames/NNNN.jpg, labels.csv, camera.yaml}.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"sitegate/testbench/yardsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "yardsim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("yardsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output directory (required)")
	gates := fs.Int("gates", 8, "number of gates")
	per := fs.Int("per-gate", 100, "frames per gate (half muddy)")
	seed := fs.Uint64("seed", 1, "seed; the same seed writes the same frames")
	size := fs.String("size", "640x360", "frame size WxH")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil {
		return fmt.Errorf("-size %q: want WxH", *size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	gs, err := yardsim.Generate(*out, yardsim.Config{Gates: *gates, PerGate: *per, Seed: *seed, Width: w, Height: h})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d gates x %d frames (%dx%d) to %s\n", len(gs), *per, w, h, *out)
	return nil
}
