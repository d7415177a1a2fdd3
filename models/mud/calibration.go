package mud

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// A calibration is a camera's last stage over its scorer: a logistic model over the scorer's
// per-region margins (the log-odds of each region's score, which for the classic scorer is
// twice its boosted trees' sum, and for the onnx scorer its CNN's logit) and the frame's
// highest margin, fitted to the camera's own labelled frames, and the threshold that goes with
// it. It moves and reweighs what the shipped model says at a gate that sees trucks its own way
// (one region noisy, scores shifted by the light), which a threshold alone cannot.

// CalibrationSchema is the persisted calibration's format, in its version field's prefix.
const CalibrationSchema = "sitegate.mud-calibration/v1"

// Calibration is a fitted last stage, as persisted next to the config (JSON) and named by
// cameras[].mud.calibration.
type Calibration struct {
	// Schema is CalibrationSchema.
	Schema string `json:"schema"`
	// Version names this fit: the scorer, and a digest of the weights ("classic-cal-1a2b3c4d").
	Version string `json:"version"`
	// Kind is the stage: KindLogistic, or KindThreshold (the scorer's own score, with a
	// threshold of its own).
	Kind string `json:"kind"`
	// Scorer is the scorer it sits on ("classic" or "onnx"); Regions its regions' names, in the
	// order the margins are taken.
	Scorer  string   `json:"scorer"`
	Regions []string `json:"regions"`
	// Mean and Scale standardise the inputs (margins of each region, then the highest);
	// Weights and Bias are the logistic model over them.
	Mean    []float64 `json:"mean"`
	Scale   []float64 `json:"scale"`
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	// Threshold is the alarm threshold on the calibrated score, chosen on held-out folds.
	Threshold float64 `json:"threshold"`
	// Frames is how many labelled frames it was fitted to (Muddy of them muddy).
	Frames int `json:"frames"`
	Muddy  int `json:"muddy"`
	// FeatureDims is, for KindFeatures, the length of each region's features (Result.Features)
	// that follow the margins among the inputs, region after region.
	FeatureDims int `json:"feature_dims,omitempty"`
}

// Calibration kinds.
const (
	KindLogistic  = "logistic"
	KindThreshold = "threshold"
	// KindFeatures is a logistic model over the margins and the scorer's own features of each
	// region (the onnx scorer's pooled CNN features): a small head over the network.
	KindFeatures = "features"
)

// maxMargin bounds a margin, so that a score of exactly 0 or 1 is a finite input.
const maxMargin = 12.0

// margin is a score's log-odds, bounded.
func margin(score float64) float64 {
	s := math.Min(1-1e-6, math.Max(1e-6, score))
	return math.Max(-maxMargin, math.Min(maxMargin, math.Log(s/(1-s))))
}

// inputs are a frame's calibration inputs: each region's margin, then the highest.
func inputs(regions []RegionScore) []float64 {
	x := make([]float64, 0, len(regions)+1)
	hi := -maxMargin
	for _, r := range regions {
		m := margin(r.Score)
		x = append(x, m)
		hi = math.Max(hi, m)
	}
	return append(x, hi)
}

// featureInputs are a frame's inputs for KindFeatures: the margins, then every region's
// features; nil when the features are not there or not of dims values each.
func featureInputs(regions []RegionScore, feats [][]float64, dims int) []float64 {
	if dims <= 0 || len(feats) != len(regions) {
		return nil
	}
	x := inputs(regions)
	for _, f := range feats {
		if len(f) != dims {
			return nil
		}
		x = append(x, f...)
	}
	return x
}

// ApplyResult is the calibrated score of a frame the scorer judged as res: its regions'
// scores and, for KindFeatures, their features.
func (c Calibration) ApplyResult(res Result) (float64, error) {
	if c.Kind != KindFeatures {
		return c.Apply(res.Regions)
	}
	if err := c.sameRegions(res.Regions); err != nil {
		return 0, err
	}
	x := featureInputs(res.Regions, res.Features, c.FeatureDims)
	if x == nil {
		return 0, fmt.Errorf("mud calibration %s: weighs %d features a region, the scorer gave none or other", c.Version, c.FeatureDims)
	}
	return c.prob(x), nil
}

// Apply is the calibrated score of a frame whose regions scored regions (in the calibration's
// region order, as the scorer returns them). A calibration of KindFeatures needs the regions'
// features too: ApplyResult.
func (c Calibration) Apply(regions []RegionScore) (float64, error) {
	if c.Kind == KindFeatures {
		return 0, fmt.Errorf("mud calibration %s: weighs the scorer's features, which a region score does not carry", c.Version)
	}
	if err := c.sameRegions(regions); err != nil {
		return 0, err
	}
	return c.prob(inputs(regions)), nil
}

func (c Calibration) sameRegions(regions []RegionScore) error {
	if len(regions) != len(c.Regions) {
		return fmt.Errorf("mud calibration %s: fitted on %d regions, the frame has %d", c.Version, len(c.Regions), len(regions))
	}
	for i, r := range regions {
		if r.Name != c.Regions[i] {
			return fmt.Errorf("mud calibration %s: region %d is %q, fitted on %q", c.Version, i, r.Name, c.Regions[i])
		}
	}
	return nil
}

func (c Calibration) prob(x []float64) float64 {
	z := c.Bias
	for j, v := range x {
		z += c.Weights[j] * (v - c.Mean[j]) / c.Scale[j]
	}
	return sigmoid(z)
}

// check reports what is wrong with a loaded calibration.
func (c Calibration) check() error {
	var errs []string
	if c.Schema != CalibrationSchema {
		errs = append(errs, fmt.Sprintf("schema %q is not %q", c.Schema, CalibrationSchema))
	}
	if c.Version == "" {
		errs = append(errs, "version: missing")
	}
	if c.Scorer == "" {
		errs = append(errs, "scorer: missing")
	}
	if c.Kind != KindLogistic && c.Kind != KindThreshold && c.Kind != KindFeatures {
		errs = append(errs, fmt.Sprintf("kind: %q is not %s, %s or %s", c.Kind, KindLogistic, KindThreshold, KindFeatures))
	}
	n := len(c.Regions) + 1
	switch {
	case c.Kind == KindFeatures && (c.FeatureDims < 1 || c.FeatureDims > 1024):
		errs = append(errs, fmt.Sprintf("feature_dims: %d is not in 1..1024", c.FeatureDims))
	case c.Kind == KindFeatures:
		n += len(c.Regions) * c.FeatureDims
	case c.FeatureDims != 0:
		errs = append(errs, fmt.Sprintf("feature_dims: %d for a calibration of kind %s, which weighs no features", c.FeatureDims, c.Kind))
	}
	if len(c.Regions) == 0 {
		errs = append(errs, "regions: none")
	}
	if len(c.Mean) != n || len(c.Scale) != n || len(c.Weights) != n {
		errs = append(errs, fmt.Sprintf("mean, scale and weights: want %d values each, got %d, %d, %d", n, len(c.Mean), len(c.Scale), len(c.Weights)))
	} else {
		for j := 0; j < n; j++ {
			if !(c.Scale[j] > 0) || math.IsInf(c.Scale[j], 0) || math.IsNaN(c.Mean[j]) || math.IsInf(c.Mean[j], 0) || math.IsNaN(c.Weights[j]) || math.IsInf(c.Weights[j], 0) {
				errs = append(errs, fmt.Sprintf("input %d: mean %g, scale %g, weight %g", j, c.Mean[j], c.Scale[j], c.Weights[j]))
			}
		}
	}
	if math.IsNaN(c.Bias) || math.IsInf(c.Bias, 0) {
		errs = append(errs, fmt.Sprintf("bias: %g", c.Bias))
	}
	if !(c.Threshold > 0 && c.Threshold < 1) {
		errs = append(errs, fmt.Sprintf("threshold: %g is not inside 0..1", c.Threshold))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// ParseCalibration reads a persisted calibration (JSON; unknown fields are errors).
func ParseCalibration(data []byte) (Calibration, error) {
	var c Calibration
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Calibration{}, fmt.Errorf("mud calibration: %w", err)
	}
	if dec.More() {
		return Calibration{}, errors.New("mud calibration: data after the object")
	}
	if err := c.check(); err != nil {
		return Calibration{}, fmt.Errorf("mud calibration: %w", err)
	}
	return c, nil
}

// LoadCalibration reads the calibration file at path.
func LoadCalibration(path string) (Calibration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Calibration{}, fmt.Errorf("mud calibration: %w", err)
	}
	c, err := ParseCalibration(data)
	if err != nil {
		return Calibration{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Marshal is the calibration as its file holds it.
func (c Calibration) Marshal() []byte {
	b, _ := json.MarshalIndent(c, "", "  ")
	return append(b, '\n')
}

// Save writes the calibration to path atomically (a temporary file, then a rename).
func (c Calibration) Save(path string) error {
	if err := c.check(); err != nil {
		return fmt.Errorf("mud calibration: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, c.Marshal(), 0o644); err != nil {
		return fmt.Errorf("mud calibration: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mud calibration: %w", err)
	}
	return nil
}

// FitOptions tune Fit.
type FitOptions struct {
	// Folds is the number of cross-validation folds (default 5; fewer when a class has fewer
	// frames).
	Folds int
	// MinPerClass is the fewest frames of each class Fit accepts (default 10).
	MinPerClass int
	// Threshold is the shipped (or current) threshold the fit must beat (default 0.5).
	Threshold float64
	// Lambda is the L2 penalty on the standardised weights (default 0.3, chosen on the
	// validation gates).
	Lambda float64
	// Current is the model in use, when it is not the bare scorer (a calibration already in
	// place): a frame's score from what the scorer gave. nil: the highest region score.
	Current func(LabelledScores) float64
	// FeatureLambda is the L2 penalty of the KindFeatures stage (default 1, the best of
	// 0.1-30 on the validation gates: gateeval's TestChooseFeatureLambda).
	FeatureLambda float64
}

func (o FitOptions) withDefaults() FitOptions {
	if o.Folds <= 0 {
		o.Folds = 5
	}
	if o.MinPerClass <= 0 {
		o.MinPerClass = 10
	}
	if o.Threshold <= 0 || o.Threshold >= 1 {
		o.Threshold = 0.5
	}
	if o.Lambda <= 0 {
		o.Lambda = 0.3
	}
	if o.FeatureLambda <= 0 {
		o.FeatureLambda = 1
	}
	return o
}

// FitFigures are a classifier's outcomes on the held-out folds.
type FitFigures struct {
	Threshold float64   `json:"threshold"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	F1        float64   `json:"f1"`
	Confusion Confusion `json:"confusion"`
	// LogLoss is the mean log loss of the scores as probabilities, the threshold taken as
	// even odds (a proper score, which breaks ties in F1: the surer of two equally right
	// models is the better).
	LogLoss float64 `json:"log_loss"`
}

func figures(c Confusion, t float64) FitFigures {
	return FitFigures{Threshold: t, Precision: c.Precision(), Recall: c.Recall(), F1: c.F1(), Confusion: c}
}

// FitReport says how a fit did: the shipped model at its threshold, and the calibration, on
// the same held-out folds (each frame judged by a fit that never saw it).
type FitReport struct {
	Frames int        `json:"frames"`
	Muddy  int        `json:"muddy"`
	Folds  int        `json:"folds"`
	Before FitFigures `json:"before"`
	After  FitFigures `json:"after"`
	// Stage is the kind of calibration that did best on the held-out folds.
	Stage string `json:"stage"`
	// Refused is why the fit must not be used, when it must not ("" when it may).
	Refused string `json:"refused,omitempty"`
}

// ErrRefused is wrapped by Fit's error when the fit worked but must not be used: too few frames
// of a class, a degenerate threshold, or no better than the shipped model on held-out folds.
var ErrRefused = errors.New("calibration refused")

// LabelledFrame is a labelled picture for Fit: its image file (JPEG or PNG) and its label.
type LabelledFrame struct {
	Path  string
	Muddy bool
}

// LabelledScores is one labelled frame as its scorer judged it.
type LabelledScores struct {
	Regions []RegionScore
	// Features are the regions' features (Result.Features) when the scorer gives them: then
	// a KindFeatures stage competes too.
	Features [][]float64
	Muddy    bool
}

// FitScores fits a calibration of scorer (its name) to frames already scored: k-fold
// cross-validation measures the shipped model at opts.Threshold and the calibration on the
// held-out folds, then the calibration is refitted on every frame. It returns the report in
// every case; the error wraps ErrRefused when the result must not be written.
func FitScores(scorer string, frames []LabelledScores, opts FitOptions) (Calibration, FitReport, error) {
	o := opts.withDefaults()
	rep := FitReport{Frames: len(frames)}
	if len(frames) == 0 {
		rep.Refused = "no labelled frames"
		return Calibration{}, rep, fmt.Errorf("%w: %s", ErrRefused, rep.Refused)
	}
	names := make([]string, len(frames[0].Regions))
	for i, r := range frames[0].Regions {
		names[i] = r.Name
	}
	xs := make([][]float64, len(frames))
	ys := make([]bool, len(frames))
	// The features stage competes only when every frame has features of one length.
	dims := 0
	if len(frames[0].Features) > 0 {
		dims = len(frames[0].Features[0])
	}
	fx := make([][]float64, len(frames))
	var before Confusion
	var beforeLoss float64
	for i, f := range frames {
		if len(f.Regions) != len(names) {
			return Calibration{}, rep, fmt.Errorf("mud calibration: frame %d has %d regions, frame 0 has %d", i, len(f.Regions), len(names))
		}
		xs[i], ys[i] = inputs(f.Regions), f.Muddy
		if dims > 0 {
			if fx[i] = featureInputs(f.Regions, f.Features, dims); fx[i] == nil {
				dims = 0
			}
		}
		if ys[i] {
			rep.Muddy++
		}
		score := 0.0
		for _, r := range f.Regions {
			score = math.Max(score, r.Score)
		}
		if o.Current != nil {
			score = o.Current(f)
		}
		before.Add(score >= o.Threshold, f.Muddy)
		beforeLoss += logLoss(sigmoid(margin(score)-margin(o.Threshold)), f.Muddy)
	}
	rep.Before = figures(before, o.Threshold)
	rep.Before.LogLoss = beforeLoss / float64(len(frames))
	clean := len(frames) - rep.Muddy
	if min(clean, rep.Muddy) < o.MinPerClass {
		rep.Refused = fmt.Sprintf("%d clean and %d muddy frames: at least %d of each are needed", clean, rep.Muddy, o.MinPerClass)
		return Calibration{}, rep, fmt.Errorf("%w: %s", ErrRefused, rep.Refused)
	}
	k := min(o.Folds, clean, rep.Muddy)
	rep.Folds = k
	fold := stratifiedFolds(ys, k)
	// Two last stages compete on the held-out folds: the logistic model over the margins, and
	// the scorer as it is with a threshold of its own (what calibrate did before, and what is
	// left when reweighing the regions gains nothing).
	type outcome struct {
		cal  Calibration
		conf Confusion
		loss float64
	}
	var best *outcome
	kinds := []string{KindLogistic, KindThreshold}
	if dims > 0 {
		// A head over the scorer's features: many inputs for few frames, so it is penalised
		// harder, and it competes on the same held-out folds as the others.
		kinds = append(kinds, KindFeatures)
	}
	margins := xs
	for _, kind := range kinds {
		xs := margins
		if kind == KindFeatures {
			xs = fx
		}
		fit := func(tx [][]float64, ty []bool) Calibration {
			switch kind {
			case KindThreshold:
				return thresholdOnly(len(tx[0]))
			case KindFeatures:
				c := fitLogistic(tx, ty, o.FeatureLambda)
				c.FeatureDims = dims
				return c
			}
			return fitLogistic(tx, ty, o.Lambda)
		}
		oof := make([]float64, len(frames))
		var oc outcome
		for f := 0; f < k; f++ {
			var tx [][]float64
			var ty []bool
			for i := range xs {
				if fold[i] != f {
					tx, ty = append(tx, xs[i]), append(ty, ys[i])
				}
			}
			c := fit(tx, ty)
			var tr []Sample
			for i := range tx {
				tr = append(tr, Sample{Score: c.prob(tx[i]), Muddy: ty[i]})
			}
			// The fold's threshold comes from its own training frames, never the held-out ones.
			t := foldThreshold(tr)
			for i := range xs {
				if fold[i] == f {
					oof[i] = c.prob(xs[i])
					oc.conf.Add(oof[i] >= t, ys[i])
					oc.loss += logLoss(sigmoid(margin(oof[i])-margin(t)), ys[i]) / float64(len(frames))
				}
			}
		}
		oc.cal = fit(xs, ys)
		oc.cal.Kind = kind
		var held []Sample
		for i := range xs {
			held = append(held, Sample{Score: oof[i], Muddy: ys[i]})
		}
		t, _ := BestThreshold(held)
		oc.cal.Threshold = math.Round(t*1000) / 1000
		if best == nil || better(oc.conf.F1(), oc.loss, best.conf.F1(), best.loss) {
			best = &oc
		}
	}
	cal := best.cal
	rep.After = figures(best.conf, cal.Threshold)
	rep.After.LogLoss = best.loss
	rep.Stage = cal.Kind
	cal.Schema, cal.Scorer, cal.Regions = CalibrationSchema, scorer, names
	cal.Frames, cal.Muddy = len(frames), rep.Muddy
	sum := sha256.Sum256(cal.Marshal())
	cal.Version = fmt.Sprintf("%s-cal-%x", scorer, sum[:4])
	switch {
	case cal.Threshold <= 0.01 || cal.Threshold >= 0.99:
		rep.Refused = fmt.Sprintf("the threshold %.3f is at an end of 0..1: the frames do not separate", cal.Threshold)
	case !better(rep.After.F1, rep.After.LogLoss, rep.Before.F1, rep.Before.LogLoss):
		rep.Refused = fmt.Sprintf("held-out F1 %.3f (log loss %.3f) is no better than the shipped model's %.3f (%.3f) at threshold %.3f",
			rep.After.F1, rep.After.LogLoss, rep.Before.F1, rep.Before.LogLoss, o.Threshold)
	}
	if rep.Refused != "" {
		return cal, rep, fmt.Errorf("%w: %s", ErrRefused, rep.Refused)
	}
	return cal, rep, nil
}

// better orders held-out outcomes: the higher F1, then the lower log loss.
func better(f1, loss, thanF1, thanLoss float64) bool {
	if math.Abs(f1-thanF1) > 1e-9 {
		return f1 > thanF1
	}
	return loss < thanLoss-1e-9
}

// thresholdOnly is the stage that leaves the scorer's frame score (its highest region's) as it
// is, for a threshold of its own; d is the number of inputs.
func thresholdOnly(d int) Calibration {
	c := Calibration{Mean: make([]float64, d), Scale: make([]float64, d), Weights: make([]float64, d)}
	for j := range c.Scale {
		c.Scale[j] = 1
	}
	c.Weights[d-1] = 1 // the highest margin
	return c
}

// logLoss is the log loss of probability p for the label.
func logLoss(p float64, muddy bool) float64 {
	p = math.Min(1-1e-9, math.Max(1e-9, p))
	if muddy {
		return -math.Log(p)
	}
	return -math.Log(1 - p)
}

// foldThreshold is the threshold with the best F1 on a fold's training frames, kept away from
// the ends (a training fit can separate its own frames perfectly).
func foldThreshold(s []Sample) float64 {
	t, _ := BestThreshold(s)
	return math.Max(0.05, math.Min(0.95, t))
}

// stratifiedFolds deals each class's frames, in order, round the k folds.
func stratifiedFolds(ys []bool, k int) []int {
	out := make([]int, len(ys))
	var np, nn int
	for i, y := range ys {
		if y {
			out[i] = np % k
			np++
		} else {
			out[i] = nn % k
			nn++
		}
	}
	return out
}

// fitLogistic fits an L2-penalised logistic model to standardised xs by Newton's method.
func fitLogistic(xs [][]float64, ys []bool, lambda float64) Calibration {
	d := len(xs[0])
	c := Calibration{Mean: make([]float64, d), Scale: make([]float64, d), Weights: make([]float64, d)}
	n := float64(len(xs))
	for j := 0; j < d; j++ {
		for _, x := range xs {
			c.Mean[j] += x[j] / n
		}
		v := 0.0
		for _, x := range xs {
			v += (x[j] - c.Mean[j]) * (x[j] - c.Mean[j]) / n
		}
		c.Scale[j] = math.Max(math.Sqrt(v), 1e-3)
	}
	z := make([][]float64, len(xs))
	for i, x := range xs {
		z[i] = make([]float64, d+1)
		for j := 0; j < d; j++ {
			z[i][j] = (x[j] - c.Mean[j]) / c.Scale[j]
		}
		z[i][d] = 1
	}
	w := make([]float64, d+1)
	for it := 0; it < 50; it++ {
		g := make([]float64, d+1)
		hs := make([][]float64, d+1)
		for j := range hs {
			hs[j] = make([]float64, d+1)
		}
		for i, zi := range z {
			s := 0.0
			for j, v := range zi {
				s += w[j] * v
			}
			p := sigmoid(s)
			y := 0.0
			if ys[i] {
				y = 1
			}
			for j := range zi {
				g[j] += (p - y) * zi[j]
				for l := range zi {
					hs[j][l] += p * (1 - p) * zi[j] * zi[l]
				}
			}
		}
		for j := 0; j < d; j++ { // the bias is not penalised
			g[j] += lambda * w[j] * n / 10
			hs[j][j] += lambda * n / 10
		}
		hs[d][d] += 1e-6
		step := solve(hs, g)
		if step == nil {
			break
		}
		mx := 0.0
		for j := range w {
			w[j] -= step[j]
			mx = math.Max(mx, math.Abs(step[j]))
		}
		if mx < 1e-8 {
			break
		}
	}
	copy(c.Weights, w[:d])
	c.Bias = w[d]
	return c
}

// solve solves a·x = b by Gaussian elimination with partial pivoting; nil if a is singular.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return nil
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}
