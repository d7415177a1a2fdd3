//go:build !nocv

// Command heldout measures both mud scorers on a generated set they never saw (seed 1000 and
// above): F1 per condition at the shipped thresholds, and the model's load time.
//
//	go run ./models/mud/train/heldout -seed 1000 -per-cell 40
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

func main() {
	seed := flag.Uint64("seed", 1000, "evaluation set seed (1000 and above)")
	perCell := flag.Int("per-cell", 40, "frames per condition and severity pair")
	spec := flag.String("model", "models/mud/model/mud-cnn.yaml", "the ONNX model spec")
	classicT := flag.Float64("classic-threshold", 0.5, "classic threshold")
	onnxT := flag.Float64("onnx-threshold", 0.5, "onnx threshold")
	flag.Parse()
	if *seed < 1000 {
		log.Fatal("evaluation seeds are 1000 and above")
	}
	start := time.Now()
	onnx, err := mud.NewONNX(*spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("onnx model loaded in %v\n", time.Since(start).Round(time.Millisecond))
	scorers := []struct {
		s mud.Scorer
		t float64
	}{{mud.NewClassic(mud.DefaultModel), *classicT}, {onnx, *onnxT}}
	var regions []mud.Region
	for _, r := range scene.Regions {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		regions = append(regions, reg)
	}
	type cell struct {
		all, by map[scene.Condition]*mud.Confusion
	}
	conf := make([]map[scene.Condition]*mud.Confusion, len(scorers))
	total := make([]mud.Confusion, len(scorers))
	for i := range conf {
		conf[i] = map[scene.Condition]*mud.Confusion{}
		for _, c := range scene.Conditions {
			conf[i][c] = &mud.Confusion{}
		}
	}
	for _, s := range (scene.SetOptions{Seed: *seed, PerCell: *perCell}).Specs() {
		m, err := scene.Frame(s, 640, 360)
		if err != nil {
			log.Fatal(err)
		}
		for i, sc := range scorers {
			r, err := sc.s.Score(m, regions)
			if err != nil {
				log.Fatal(err)
			}
			conf[i][s.Condition].Add(r.Score >= sc.t, s.Severity != scene.Clean)
			total[i].Add(r.Score >= sc.t, s.Severity != scene.Clean)
		}
		m.Close()
	}
	for i, sc := range scorers {
		fmt.Printf("%s (threshold %.2f): F1 %.3f precision %.3f recall %.3f %+v\n", sc.s.Name(), sc.t, total[i].F1(), total[i].Precision(), total[i].Recall(), total[i])
		for _, c := range scene.Conditions {
			k := conf[i][c]
			fmt.Printf("  %-9s F1 %.3f  %+v\n", c, k.F1(), *k)
		}
	}
}
