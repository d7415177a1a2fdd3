//go:build !nocv

// Command classic fits the classic mud scorer's boosted trees to generated tuning frames and
// writes them to models/mud/weights.go.
//
//	go run ./models/mud/train/classic -per-cell 40 -gates 36 -gate-per-cell 8 -rounds 700 -depth 2 -cache /tmp/classic.gob -write models/mud/weights.go
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"

	"encoding/gob"
	"math"

	"sitegate/models/mud"
	"sitegate/models/mud/train/gateeval"
	"sitegate/testbench/scene"
	"sitegate/testbench/yardsim"

	"gocv.io/x/gocv"
)

func main() {
	seed := flag.Uint64("seed", 1, "tuning set seed (keep below 1000)")
	perCell := flag.Int("per-cell", 500, "frames per condition and severity pair")
	val := flag.Uint64("val-seed", 2, "validation set seed (keep below 1000)")
	rounds := flag.Int("rounds", 450, "boosting rounds")
	depth := flag.Int("depth", 2, "1: a stump per round; 2: a depth-2 tree per round")
	write := flag.String("write", "", "write the weights to this Go file (e.g. models/mud/weights.go)")
	gates := flag.Int("gates", 0, "also fit on frames at this many generated gates (gateeval.FitGates), validate on 6 other gates")
	gatePer := flag.Int("gate-per-cell", 8, "frames per condition and severity pair at each fitting gate")
	yard := flag.Int("yard", 0, "also fit on frames of this many testbench/yardsim gates, each with its own regions")
	yardPer := flag.Int("yard-per-gate", 40, "frames at each yardsim gate (half muddy)")
	yardSeed := flag.Uint64("yard-seed", 1, "yardsim seed")
	cache := flag.String("cache", "", "keep the fitting and validation features in this file, and read them from it when it exists")
	flag.Parse()
	if *seed >= 1000 || *val >= 1000 {
		log.Fatal("tuning and validation seeds must be below 1000; 1000 and above are for evaluation")
	}
	regions := regions()
	var cached struct {
		Xs, Vx, Gx, Yx [][]float64
		Ys, Vy, Yy     []bool
	}
	if *cache != "" {
		if f, err := os.Open(*cache); err == nil {
			if err := gob.NewDecoder(f).Decode(&cached); err != nil {
				log.Fatal(err)
			}
			f.Close()
		}
	}
	xs, ys := cached.Xs, cached.Ys
	if xs == nil {
		xs, ys = collect(scene.SetOptions{Seed: *seed, PerCell: *perCell}, regions)
		if *gates > 0 {
			gx, gy := collect(scene.SetOptions{Seed: *seed + 100, PerCell: *gatePer, Gates: gateeval.FitGates(*gates)}, nil)
			xs, ys = append(xs, gx...), append(ys, gy...)
		}
	}
	sx, sy := xs, ys // the scene generator's regions alone, for the cache
	yx, yy := cached.Yx, cached.Yy
	if *yard > 0 && yx == nil {
		yx, yy = collectYard(*yardSeed, *yard, *yardPer)
	}
	fx, fy := xs, ys
	if *yard > 0 {
		fx, fy = append(append([][]float64{}, xs...), yx...), append(append([]bool{}, ys...), yy...)
		fmt.Printf("fitting on %d scene regions and %d yardsim regions (%d gates)\n", len(xs), len(yx), *yard)
	}
	xs, ys = fx, fy
	fmt.Printf("fitting on %d regions\n", len(xs))
	fit := mud.FitBoostedTrees
	if *depth == 1 {
		fit = mud.FitBoosted
	}
	model := fit(xs, ys, *rounds)
	var tc mud.Confusion
	for i := range xs {
		tc.Add(model.Score(xs[i]) >= 0.5, ys[i])
	}
	fmt.Printf("training (per region): %+v F1 %.3f\n", tc, tc.F1())
	vx, vy := cached.Vx, cached.Vy
	if vx == nil {
		vx, vy = collect(scene.SetOptions{Seed: *val, PerCell: *perCell / 3}, regions)
	}
	var samples []mud.Sample
	specs := scene.SetOptions{Seed: *val, PerCell: *perCell / 3}.Specs()
	type key struct {
		c scene.Condition
		s scene.Severity
	}
	miss := map[key]int{}
	byCond := map[scene.Condition]*mud.Confusion{}
	for _, c := range scene.Conditions {
		byCond[c] = &mud.Confusion{}
	}
	for i := 0; i < len(vx); i += len(regions) {
		sp := specs[i/len(regions)]
		sc := 0.0
		for k := range regions {
			sc = max(sc, model.Score(vx[i+k]))
		}
		if (sc >= 0.5) != (sp.Severity != scene.Clean) {
			miss[key{sp.Condition, sp.Severity}]++
		}
		byCond[sp.Condition].Add(sc >= 0.5, sp.Severity != scene.Clean)
	}
	fmt.Println("misses:", miss)
	fmt.Print("validation F1 at 0.5 by condition:")
	for _, c := range scene.Conditions {
		fmt.Printf(" %s %.3f", c, byCond[c].F1())
	}
	fmt.Println()
	for i := 0; i < len(vx); i += len(regions) {
		s := 0.0
		muddy := false
		for k := range regions {
			s = max(s, model.Score(vx[i+k]))
			muddy = muddy || vy[i+k]
		}
		samples = append(samples, mud.Sample{Score: s, Muddy: muddy})
	}
	t, c := mud.BestThreshold(samples)
	c5 := mud.Evaluate(samples, 0.5)
	fmt.Printf("validation: best threshold %.3f F1 %.3f; at 0.5 F1 %.3f %+v\n", t, c.F1(), c5.F1(), c5)
	vo := scene.SetOptions{Seed: *val + 100, PerCell: 10, Gates: gateeval.ValidationGates(6)}
	gx := cached.Gx
	if *gates > 0 && gx == nil {
		gx, _ = collect(vo, nil)
	}
	if *cache != "" && (cached.Xs == nil || (*yard > 0 && cached.Yx == nil)) {
		f, err := os.Create(*cache)
		if err != nil {
			log.Fatal(err)
		}
		cached.Xs, cached.Ys = sx, sy
		cached.Vx, cached.Vy, cached.Gx = vx, vy, gx
		if *yard > 0 {
			cached.Yx, cached.Yy = yx, yy
		}
		if err := gob.NewEncoder(f).Encode(&cached); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	if *gates > 0 {
		// The model's score is shifted so that 0.5, the shipped threshold, is where F1 is best
		// over the validation gates (an extra stump, the same on both sides).
		var vs []mud.Sample
		for i, sp := range vo.Specs() {
			vs = append(vs, mud.Sample{Score: max(model.Score(gx[2*i]), model.Score(gx[2*i+1])), Muddy: sp.Severity != scene.Clean})
		}
		if t, _ := mud.BestThreshold(vs); t > 0.02 && t < 0.98 {
			b := -math.Log(t/(1-t)) / 2
			model.Stumps = append(model.Stumps, mud.Stump{Feature: 0, Split: 0, Left: b, Right: b})
			fmt.Printf("validation gates: best threshold %.3f, shifted to 0.5\n", t)
		}
		byGate := map[string]*mud.Confusion{}
		var all mud.Confusion
		for i, sp := range vo.Specs() {
			sc := max(model.Score(gx[2*i]), model.Score(gx[2*i+1]))
			if byGate[sp.Gate.Name] == nil {
				byGate[sp.Gate.Name] = &mud.Confusion{}
			}
			byGate[sp.Gate.Name].Add(sc >= 0.5, sp.Severity != scene.Clean)
			all.Add(sc >= 0.5, sp.Severity != scene.Clean)
		}
		fmt.Printf("validation gates at 0.5: F1 %.3f %+v;", all.F1(), all)
		for _, g := range gateeval.ValidationGates(6) {
			fmt.Printf(" %s %.3f", g.Name, byGate[g.Name].F1())
		}
		fmt.Println()
	}
	if *write != "" {
		if err := os.WriteFile(*write, []byte(goSource(model, *yard, *yardPer)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func regions() []mud.Region {
	var out []mud.Region
	for _, r := range scene.Regions {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		out = append(out, reg)
	}
	return out
}

// collect renders a set and returns each region's features and ground truth, in the set's
// order (two workers render; the result does not depend on their timing). Without regions,
// each frame's are its gate's.
func collect(o scene.SetOptions, fixed []mud.Region) ([][]float64, []bool) {
	specs := o.Specs()
	feats := make([][][]float64, len(specs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m, err := scene.Frame(specs[i], 640, 360)
				if err != nil {
					log.Fatal(err)
				}
				regions := fixed
				if regions == nil {
					regions = gateeval.Regions(specs[i].Gate)
				}
				f, err := mud.Features(m, regions)
				m.Close()
				if err != nil {
					log.Fatal(err)
				}
				feats[i] = f
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
	var xs [][]float64
	var ys []bool
	for i, s := range specs {
		for k, r := range scene.Regions {
			xs = append(xs, feats[i][k])
			ys = append(ys, scene.RegionLabel(s.Severity, r.Name) == "muddy")
		}
	}
	return xs, ys
}

// collectYard renders per frames at each of n yardsim gates, passes them through JPEG as a
// camera would, and returns each region's features (the gate's own regions) and ground truth.
func collectYard(seed uint64, n, per int) ([][]float64, []bool) {
	type job struct{ g, j int }
	type out struct {
		x [][]float64
		y []bool
	}
	gates := make([]yardsim.Gate, n)
	labels := make([][]bool, n)
	regions := make([][]mud.Region, n)
	for i := range gates {
		gates[i] = yardsim.NewGate(seed, i)
		labels[i] = gates[i].Labels(per)
		for _, r := range gates[i].ROIs(640, 360) {
			regions[i] = append(regions[i], mud.Region{Name: r.Name, Polygon: r.Polygon})
		}
	}
	res := make([]out, n*per)
	next := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range next {
				b, cond, err := gates[jb.g].RenderJPEG(jb.j, labels[jb.g][jb.j], 640, 360)
				if err != nil {
					log.Fatal(err)
				}
				m, err := gocv.IMDecode(b, gocv.IMReadColor)
				if err != nil || m.Empty() {
					log.Fatalf("yardsim gate %d frame %d: decode: %v", jb.g, jb.j, err)
				}
				f, err := mud.Features(m, regions[jb.g])
				m.Close()
				if err != nil {
					log.Fatal(err)
				}
				o := out{x: f}
				for _, r := range regions[jb.g] {
					o.y = append(o.y, yardsim.RegionMuddy(r.Name, cond))
				}
				res[jb.g*per+jb.j] = o
			}
		}()
	}
	for g := 0; g < n; g++ {
		for j := 0; j < per; j++ {
			next <- job{g, j}
		}
	}
	close(next)
	wg.Wait()
	var xs [][]float64
	var ys []bool
	for _, o := range res {
		xs = append(xs, o.x...)
		ys = append(ys, o.y...)
	}
	return xs, ys
}

func goSource(m mud.Boosted, yard, yardPer int) string {
	var b strings.Builder
	for _, s := range m.Stumps {
		gate := ""
		if s.Gated {
			gate = fmt.Sprintf(", Gated: true, GateFeature: %d, GateSplit: %.6g, GateAbove: %v", s.GateFeature, s.GateSplit, s.GateAbove)
		}
		fmt.Fprintf(&b, "\t\t{Feature: %d, Split: %.6g, Left: %.6g, Right: %.6g%s},\n", s.Feature, s.Split, s.Left, s.Right, gate)
	}
	also, flags := "", ""
	if yard > 0 {
		also = fmt.Sprintf(" and at %d testbench/yardsim gates", yard)
		flags = fmt.Sprintf(" -yard %d -yard-per-gate %d", yard, yardPer)
	}
	return fmt.Sprintf(`package mud

// DefaultModel is the classic scorer's model, fitted to generated tuning frames at the
// reference gate and at 36 generated gates%s by models/mud/train/classic (never to the frames or
// gates it is evaluated on, nor to testbench/gatesim), its score shifted so that 0.5 is the best
// threshold over the validation gates. Regenerate with
//
//	go run ./models/mud/train/classic -per-cell 40 -gates 36 -gate-per-cell 8 -rounds 700 -depth 2%s -write models/mud/weights.go
var DefaultModel = Boosted{
	Stumps: []Stump{
%s	},
}
`, also, flags, b.String())
}
