// Command coversim writes an evaluation set of muck-truck cover frames:
//
//	go run ./testbench/coversim/cmd/coversim -out DIR -gates N -per-gate M -seed S [-size WxH] [-blind B]
//
// Use its sets to evaluate only, never to fit or calibrate on.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"sitegate/testbench/coversim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coversim:", err)
		os.Exit(1)
	}
}

func run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coversim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the set into (required)")
	gates := fs.Int("gates", 4, "number of gates")
	per := fs.Int("per-gate", 40, "frames per gate")
	seed := fs.Int64("seed", 1, "seed: the same seed writes the same bytes")
	size := fs.String("size", "640x360", "frame size WxH")
	blind := fs.Int("blind", 0, "blind frames (0: per-gate, at least 12; negative: none)")
	workers := fs.Int("workers", 0, "parallel renders (0: up to 2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	w, h, err := parseSize(*size)
	if err != nil {
		return err
	}
	o := coversim.Options{Seed: *seed, Gates: *gates, PerGate: *per, Width: w, Height: h, Blind: *blind, Workers: *workers}
	if err := coversim.WriteSet(*out, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d gates x %d frames at %dx%d (seed %d) to %s\n", *gates, *per, w, h, *seed, *out)
	return nil
}

func parseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, fmt.Errorf("-size %q: want WxH", s)
	}
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || w < 32 || h < 32 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("-size %q: want WxH, each 32..8192", s)
	}
	return w, h, nil
}
