//go:build !nocv

// Command train fits the classic cover scorer's boosted trees to frames of generated gates
// (testbench/coverscene FitGates), chooses its settings on validation gates (seed 2), writes
// the model to models/cover/weights.go, and measures it leave-gates-out on EvalGates (seed 2001),
// which no fit or choice saw:
//
//	go run ./models/cover/train -cache /tmp/cover.gob -write models/cover/weights.go -eval-gates 8
package main

import (
	"encoding/gob"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"math"
	"os"
	"strconv"
	"strings"

	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/testbench/coverscene"
)

// Seeds of the frames (the gates' seeds are coverscene's: fit 1, validation 2, eval 2001).
const (
	fitFrameSeed  = 11
	valFrameSeed  = 12
	evalFrameSeed = 7000
)

// evalSet is the acceptance's set at each evaluation gate: 3 frames of each label in each of
// the 5 conditions to calibrate on (60), 10 others to score (200).
func evalSet(gates int) evalOptions {
	return evalOptions{Gates: coverscene.EvalGates(gates), CalPerCell: 3, TestPerCell: 10, Seed: evalFrameSeed}
}

func main() {
	fitGates := flag.Int("fit-gates", 24, "fitting gates (coverscene.FitGates)")
	perLabel := flag.Int("per-cell", 2, "frames of each label in each condition at each fitting gate")
	valGates := flag.Int("val-gates", 6, "validation gates (seeds 1001 on)")
	valPer := flag.Int("val-per-cell", 2, "frames of each label in each condition at each validation gate")
	roundsList := flag.String("rounds", "150,300,500", "boosting rounds to choose from on the validation gates")
	kindRounds := flag.Int("kind-rounds", 150, "boosting rounds of each kind model")
	write := flag.String("write", "", "write the chosen model to this Go file (models/cover/weights.go)")
	cache := flag.String("cache", "", "keep the fitting and validation features in this file, and read them from it when it exists")
	evalGates := flag.Int("eval-gates", 0, "then measure the model leave-gates-out on this many evaluation gates (seed 2001)")
	evalCache := flag.String("eval-cache", "", "keep the evaluation frames' features in this file, and read them from it when it exists")
	evalOnly := flag.Bool("eval-only", false, "only render the evaluation frames into -eval-cache")
	evalFirst := flag.Int("eval-first", 0, "with -eval-only: the first evaluation gate to render (0-based)")
	simGates := flag.Int("coversim-gates", 0, "also measure the model on this many testbench/coversim gates (never fitted on)")
	simPer := flag.Int("coversim-per-gate", 96, "coversim frames a gate: the first 32 calibrate, the rest are scored")
	simCache := flag.String("coversim-cache", "", "keep the coversim frames' features in this file, and read them from it when it exists")
	simOnly := flag.Bool("coversim-only", false, "only render the coversim frames into -coversim-cache")
	moreGates := flag.Int("more-gates", 0, "also fit on this many fitting gates after the first -fit-gates (more gates, fewer frames each)")
	morePer := flag.Int("more-per-cell", 1, "frames of each label in each condition at each of the -more-gates")
	moreCache := flag.String("more-cache", "", "keep the -more-gates features in this file, and read them from it when it exists")
	flag.StringVar(&frameDir, "frames", "", "keep the rendered coverscene frames (JPEG and truth) in this directory, and read them from it when there")
	flag.Parse()
	if frameDir != "" {
		if err := os.MkdirAll(frameDir, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if *simOnly {
		if _, err := simFrames(*simCache, *simGates, *simPer); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *evalOnly {
		o := evalSet(*evalFirst + *evalGates)
		o.Gates, o.First = o.Gates[*evalFirst:], *evalFirst
		if _, err := evalFramesOf(*evalCache, o); err != nil {
			log.Fatal(err)
		}
		return
	}

	var sets struct{ Fit, Val []framed }
	if *cache != "" {
		if f, err := os.Open(*cache); err == nil {
			if err := gob.NewDecoder(f).Decode(&sets); err != nil {
				log.Fatal(err)
			}
			f.Close()
		}
	}
	if sets.Fit == nil {
		var err error
		if sets.Fit, err = collect(items(coverscene.FitGates(*fitGates), *perLabel, fitFrameSeed)); err != nil {
			log.Fatal(err)
		}
		if sets.Val, err = collect(items(validationGates(*valGates), *valPer, valFrameSeed)); err != nil {
			log.Fatal(err)
		}
		if *cache != "" {
			f, err := os.Create(*cache)
			if err != nil {
				log.Fatal(err)
			}
			if err := gob.NewEncoder(f).Encode(&sets); err != nil {
				log.Fatal(err)
			}
			f.Close()
		}
	}
	if *moreGates > 0 {
		more, err := moreFrames(*moreCache, coverscene.FitGates(*fitGates + *moreGates)[*fitGates:], *morePer)
		if err != nil {
			log.Fatal(err)
		}
		sets.Fit = append(sets.Fit, more...)
	}
	gates := map[string]bool{}
	for _, f := range sets.Fit {
		gates[f.Truth.Gate] = true
	}
	fmt.Printf("fitting on %d frames at %d gates, validating on %d frames\n", len(sets.Fit), len(gates), len(sets.Val))
	var best cover.Model
	var bestOpt fitOptions
	bestF1 := -1.0
	for _, s := range strings.Split(*roundsList, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatalf("-rounds: %v", err)
		}
		o := fitOptions{Rounds: r, KindRounds: *kindRounds}
		m := fit(sets.Fit, o)
		m = shifted(m, sets.Val)
		c, kr, kn := validate(m, sets.Val)
		fmt.Printf("rounds %d: validation F1 at 0.5 %.3f %+v; kind right %d/%d\n", r, c.F1(), c, kr, kn)
		if f := c.F1() + 0.25*ratio(kr, kn); f > bestF1 {
			best, bestOpt, bestF1 = m, o, f
		}
	}
	fmt.Printf("chosen: %+v\n", bestOpt)
	if *write != "" {
		src, err := format.Source([]byte(goSource(best, bestOpt, len(gates), len(sets.Fit))))
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*write, src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if *evalGates > 0 {
		gs, err := evalFrames(*evalCache, *evalGates)
		if err != nil {
			log.Fatal(err)
		}
		rs, err := leaveGatesOut(best, gs)
		if err != nil {
			log.Fatal(err)
		}
		printResults(os.Stdout, rs)
	}
	if *simGates > 0 {
		sim, err := simFrames(*simCache, *simGates, *simPer)
		if err != nil {
			log.Fatal(err)
		}
		rs, err := leaveGatesOut(best, sim.Gates)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("\ntestbench/coversim (seed", coversimSeed, "):")
		printResults(os.Stdout, rs)
		printBlind(os.Stdout, sim.Blind)
	}
}

// moreFrames renders perCell frames of each label in each condition at each of gates (with
// their own frame seed), or reads them from cache.
func moreFrames(cache string, gates []coverscene.Gate, perCell int) ([]framed, error) {
	var out []framed
	if cache != "" {
		if f, err := os.Open(cache); err == nil {
			defer f.Close()
			err := gob.NewDecoder(f).Decode(&out)
			return out, err
		}
	}
	out, err := collect(items(gates, perCell, fitFrameSeed+1))
	if err != nil || cache == "" {
		return out, err
	}
	f, err := os.Create(cache)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return out, gob.NewEncoder(f).Encode(out)
}

// coversimSeed is the coversim set's seed.
const coversimSeed = 41

// simSet is a coversim set as cached.
type simSet struct {
	Gates []evalGate
	Blind []blindFrame
}

// simFrames renders n coversim gates (and 24 blind frames), or reads them from cache.
func simFrames(cache string, n, per int) (simSet, error) {
	var s simSet
	if cache != "" {
		if f, err := os.Open(cache); err == nil {
			defer f.Close()
			err := gob.NewDecoder(f).Decode(&s)
			return s, err
		}
	}
	var err error
	s.Gates, s.Blind, err = coversimSet(coversimSeed, n, per, 32, 24)
	if err != nil || cache == "" {
		return s, err
	}
	f, err := os.Create(cache)
	if err != nil {
		return s, err
	}
	defer f.Close()
	return s, gob.NewEncoder(f).Encode(s)
}

// printBlind writes how the quality judge did on blind-camera frames.
func printBlind(w io.Writer, bs []blindFrame) {
	var refusedBlind, nBlind, refusedSeeing, nSeeing int
	for _, b := range bs {
		if b.Blind {
			nBlind++
			if b.Refused != "" {
				refusedBlind++
			}
		} else {
			nSeeing++
			if b.Refused != "" {
				refusedSeeing++
			}
		}
		fmt.Fprintf(w, " %s->%q", b.Reason, b.Refused)
	}
	fmt.Fprintf(w, "\nblind frames refused by the quality judge %d/%d; seeing controls refused %d/%d\n", refusedBlind, nBlind, refusedSeeing, nSeeing)
}

// evalFrames renders the evaluation set at n gates, or reads it from cache when that holds
// it (and writes it there when it does not).
func evalFrames(cache string, n int) ([]evalGate, error) {
	if cache != "" {
		var gs []evalGate
		for _, c := range strings.Split(cache, ",") {
			f, err := os.Open(c)
			if err != nil {
				gs = nil
				break
			}
			var part []evalGate
			err = gob.NewDecoder(f).Decode(&part)
			f.Close()
			if err != nil {
				return nil, err
			}
			gs = append(gs, part...)
		}
		if len(gs) >= n {
			return gs[:n], nil
		}
	}
	return evalFramesOf(cache, evalSet(n))
}

// evalFramesOf renders the evaluation set o, or reads it from cache when that holds it (and
// writes it there when it does not).
func evalFramesOf(cache string, o evalOptions) ([]evalGate, error) {
	n := len(o.Gates)
	if cache != "" && !strings.Contains(cache, ",") {
		if f, err := os.Open(cache); err == nil {
			defer f.Close()
			var gs []evalGate
			if err := gob.NewDecoder(f).Decode(&gs); err != nil {
				return nil, err
			}
			if len(gs) >= n {
				return gs[:n], nil
			}
		}
	}
	gs, err := renderEval(o)
	if err != nil || cache == "" || strings.Contains(cache, ",") {
		return gs, err
	}
	f, err := os.Create(cache)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return gs, gob.NewEncoder(f).Encode(gs)
}

// shifted moves m's score so that 0.5, the shipped threshold, is where F1 is best over the
// validation frames (a constant stump), as the mud model does.
func shifted(m cover.Model, val []framed) cover.Model {
	var vs []mud.Sample
	for _, f := range val {
		alarm, _ := cover.IsAlarmLabel(f.Truth.Label)
		vs = append(vs, mud.Sample{Score: frameScore(m, f), Muddy: alarm})
	}
	if t, _ := mud.BestThreshold(vs); t > 0.02 && t < 0.98 {
		b := -math.Log(t/(1-t)) / 2
		m.Cover.Stumps = append(m.Cover.Stumps, mud.Stump{Feature: 0, Split: 0, Left: b, Right: b})
	}
	return m
}

// validate is m's frame confusion at 0.5 on val, and how many of the alarms it found got the
// right kind.
func validate(m cover.Model, val []framed) (mud.Confusion, int, int) {
	var c mud.Confusion
	right, n := 0, 0
	for _, f := range val {
		alarm, _ := cover.IsAlarmLabel(f.Truth.Label)
		sc := scores(m, f)
		hi := 0.0
		for _, s := range sc {
			hi = max(hi, s)
		}
		c.Add(hi >= 0.5, alarm)
		if alarm && hi >= 0.5 {
			n++
			if m.Kind(cover.KindFeatures(f.Regions, f.Feats, sc)) == f.Truth.Label {
				right++
			}
		}
	}
	return c, right, n
}

func stumps(b *strings.Builder, name string, m mud.Boosted) {
	fmt.Fprintf(b, "\t%s: mud.Boosted{Stumps: []mud.Stump{\n", name)
	for _, s := range m.Stumps {
		gate := ""
		if s.Gated {
			gate = fmt.Sprintf(", Gated: true, GateFeature: %d, GateSplit: %.6g, GateAbove: %v", s.GateFeature, s.GateSplit, s.GateAbove)
		}
		fmt.Fprintf(b, "\t\t{Feature: %d, Split: %.6g, Left: %.6g, Right: %.6g%s},\n", s.Feature, s.Split, s.Left, s.Right, gate)
	}
	fmt.Fprintf(b, "\t}},\n")
}

func goSource(m cover.Model, o fitOptions, gates, frames int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `// Code generated by models/cover/train; DO NOT EDIT.

package cover

import "sitegate/models/mud"

// DefaultModel is the classic cover scorer's model, fitted to %d generated frames at %d gates
// (testbench/coverscene FitGates) by models/cover/train, its
// settings (%d rounds, %d a kind model) chosen on the validation gates and its score shifted so
// that 0.5 is the best threshold there; never fitted to the evaluation gates. Regenerate with
//
//	go run ./models/cover/train %s
var DefaultModel = Model{
`, frames, gates, o.Rounds, o.KindRounds, strings.Join(os.Args[1:], " "))
	stumps(&b, "Cover", m.Cover)
	fmt.Fprintf(&b, "\tKinds: []mud.Boosted{\n")
	for i, k := range m.Kinds {
		var kb strings.Builder
		stumps(&kb, "", k)
		s := strings.Replace(kb.String(), "\t: mud.Boosted", "\t// "+cover.KindOrder[i]+"\n\tmud.Boosted", 1)
		b.WriteString(s)
	}
	fmt.Fprintf(&b, "\t},\n}\n")
	return b.String()
}
