//go:build !nocv

// Command gates measures both mud scorers leave-gates-out: on gate geometries no fit saw
// (gateeval.EvalGates), uncalibrated and after calibrating on 60 labelled frames of each gate,
// scored on 200 others.
//
//	go run ./models/mud/train/gates -gates 8
package main

import (
	"flag"
	"log"
	"os"

	"sitegate/models/mud"
	"sitegate/models/mud/train/gateeval"
	"sitegate/testbench/scene"
)

func main() {
	n := flag.Int("gates", 8, "evaluation gates")
	val := flag.Bool("validation", false, "score the validation gates instead (for choosing settings)")
	spec := flag.String("model", "models/mud/model/mud-cnn.yaml", "the ONNX model spec")
	calPer := flag.Int("cal-per-cell", 6, "calibration frames per condition and severity pair (6: 60 a gate)")
	testPer := flag.Int("test-per-cell", 20, "test frames per condition and severity pair (20: 200 a gate)")
	seed := flag.Uint64("seed", 5000, "frame seed")
	only := flag.String("scorer", "", "only this scorer")
	flag.Parse()
	var scorers []mud.Scorer
	var ts []float64
	if *only == "" || *only == mud.Classic {
		scorers, ts = append(scorers, mud.NewClassic(mud.DefaultModel)), append(ts, 0.5)
	}
	if *only == "" || *only == mud.ONNX {
		onnx, err := mud.NewONNX(*spec)
		if err != nil {
			log.Fatal(err)
		}
		scorers, ts = append(scorers, onnx), append(ts, onnx.Spec().Threshold)
	}
	gates := gateeval.EvalGates(*n)
	if *val {
		gates = gateeval.ValidationGates(*n)
	}
	for _, g := range gates {
		log.Print(g)
	}
	_ = scene.Conditions
	rs, err := gateeval.LeaveGatesOut(scorers, ts, gateeval.Options{Gates: gates, CalPerCell: *calPer, TestPerCell: *testPer, Seed: *seed})
	if err != nil {
		log.Fatal(err)
	}
	gateeval.Print(os.Stdout, rs)
}
