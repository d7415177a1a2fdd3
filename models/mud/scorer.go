//go:build !nocv

package mud

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sync"

	"gocv.io/x/gocv"

	"sitegate/models/vision/frames"
)

// Scorer scores the regions of a frame. Implementations are safe for concurrent use.
type Scorer interface {
	// Name is the scorer's name in Scorers: "classic" or "onnx".
	Name() string
	// Score judges frame (BGR, BGRA or greyscale 8-bit); it neither keeps nor modifies frame.
	Score(frame gocv.Mat, regions []Region) (Result, error)
	Close() error
}

func newClassic(Config) (Scorer, error) { return NewClassic(DefaultModel), nil }

func newONNX(cfg Config) (Scorer, error) { return NewONNX(cfg.Model) }

// asBGR returns frame as 8-bit BGR (frames.BGR), with the function that releases what
// conversion made.
func asBGR(frame gocv.Mat) (gocv.Mat, func(), error) {
	bgr, release, err := frames.BGR(frame)
	if err != nil {
		return frame, nil, fmt.Errorf("mud: %w", err)
	}
	return bgr, release, nil
}

// prepare checks that there are regions to score and returns frame as 8-bit BGR, with the
// function that releases what conversion made.
func prepare(frame gocv.Mat, regions []Region) (gocv.Mat, func(), error) {
	if len(regions) == 0 {
		return frame, nil, errors.New("mud: no regions to score")
	}
	return asBGR(frame)
}

// resized cuts region r's bounding box out of bgr and scales it to w×h (area interpolation, so
// fine texture is averaged rather than aliased). The caller closes the result, even on error.
func resized(bgr gocv.Mat, r Region, w, h int) (gocv.Mat, image.Rectangle, error) {
	box := r.Bounds(bgr.Cols(), bgr.Rows())
	if box.Empty() {
		return gocv.NewMat(), box, fmt.Errorf("mud: region %s is empty in a %dx%d frame", r.Name, bgr.Cols(), bgr.Rows())
	}
	sub := bgr.Region(box)
	defer sub.Close()
	out := gocv.NewMat()
	interp := gocv.InterpolationArea
	if w > box.Dx() || h > box.Dy() {
		interp = gocv.InterpolationLinear
	}
	gocv.Resize(sub, &out, image.Pt(w, h), 0, 0, interp)
	if out.Empty() || out.Cols() != w || out.Rows() != h {
		out.Close()
		return gocv.NewMat(), box, fmt.Errorf("mud: region %s did not resize", r.Name)
	}
	return out, box, nil
}

// patchSize is the working size of a region's box: scaled down (never up) to at most 64 rows
// and 480 columns, its aspect kept.
func patchSize(box image.Rectangle) (int, int) {
	s := math.Min(1, math.Min(64/float64(box.Dy()), 480/float64(box.Dx())))
	return max(8, int(math.Round(float64(box.Dx())*s))), max(8, int(math.Round(float64(box.Dy())*s)))
}

// cutPatch is region r of bgr at working size w×h, with its polygon mask.
func cutPatch(bgr gocv.Mat, r Region, w, h int) (patch, error) {
	m, box, err := resized(bgr, r, w, h)
	defer m.Close()
	if err != nil {
		return patch{}, err
	}
	return patch{w: w, h: h, bgr: m.ToBytes(), in: insidePolygon(w, h, patchPolygon(r, bgr.Cols(), bgr.Rows(), box, w, h))}, nil
}

// Features returns the classic feature vector of each region of frame, for fitting the
// classic model to labelled frames.
func Features(frame gocv.Mat, regions []Region) ([][]float64, error) {
	bgr, release, err := asBGR(frame)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([][]float64, len(regions))
	for i, r := range regions {
		box := r.Bounds(bgr.Cols(), bgr.Rows())
		if box.Empty() {
			return nil, fmt.Errorf("mud: region %s is empty in a %dx%d frame", r.Name, bgr.Cols(), bgr.Rows())
		}
		w, h := patchSize(box)
		p, err := cutPatch(bgr, r, w, h)
		if err != nil {
			return nil, err
		}
		out[i], _ = features(p)
	}
	return out, nil
}

// Patches returns each region of frame scaled to w×h as packed BGR bytes: what the ONNX scorer
// feeds its model, for building training sets.
func Patches(frame gocv.Mat, regions []Region, w, h int) ([][]byte, error) {
	bgr, release, err := asBGR(frame)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([][]byte, len(regions))
	for i, r := range regions {
		m, _, err := resized(bgr, r, w, h)
		if err != nil {
			m.Close()
			return nil, err
		}
		out[i] = m.ToBytes()
		m.Close()
	}
	return out, nil
}

// ClassicScorer scores regions by colour and texture statistics weighed by boosted trees.
type ClassicScorer struct{ model Boosted }

// NewClassic returns a classic scorer using model (DefaultModel unless refitted).
func NewClassic(model Boosted) *ClassicScorer { return &ClassicScorer{model: model} }

// Name is "classic".
func (c *ClassicScorer) Name() string { return Classic }

// Close does nothing.
func (c *ClassicScorer) Close() error { return nil }

// Score scores every region of frame.
func (c *ClassicScorer) Score(frame gocv.Mat, regions []Region) (Result, error) {
	bgr, done, err := prepare(frame, regions)
	if err != nil {
		return Result{}, err
	}
	defer done()
	var res Result
	for _, r := range regions {
		box := r.Bounds(bgr.Cols(), bgr.Rows())
		if box.Empty() {
			return Result{}, fmt.Errorf("mud: region %s is empty in a %dx%d frame", r.Name, bgr.Cols(), bgr.Rows())
		}
		w, h := patchSize(box)
		p, err := cutPatch(bgr, r, w, h)
		if err != nil {
			return Result{}, err
		}
		f, sharp := features(p)
		s := c.model.Score(f)
		res.Regions = append(res.Regions, RegionScore{Name: r.Name, Score: s})
		res.Score = math.Max(res.Score, s)
		res.Quality += sharp / float64(len(regions))
	}
	return res, nil
}

// ONNXScorer scores regions with an image classifier run by OpenCV's dnn module.
type ONNXScorer struct {
	spec Spec
	mu   sync.Mutex // a dnn Net is not safe for concurrent use
	net  gocv.Net
	// feature is the layer whose output the network's last linear layer weighs (the CNN's
	// pooled features), "" when the model has none that can be found; dims is its length.
	feature string
	dims    int
}

// NewONNX loads the model that the spec file at specPath describes.
func NewONNX(specPath string) (*ONNXScorer, error) {
	spec, err := LoadSpec(specPath)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(spec.File)
	if err != nil {
		return nil, fmt.Errorf("mud model: %w", err)
	}
	if err := checkONNX(data); err != nil {
		return nil, fmt.Errorf("mud model %s: %w", spec.File, err)
	}
	net, err := gocv.ReadNetFromONNXBytes(data)
	if err != nil || net.Empty() {
		net.Close()
		return nil, fmt.Errorf("mud model %s: OpenCV could not load it", spec.File)
	}
	s := &ONNXScorer{spec: spec, net: net}
	// One trial run, so a model whose input or output does not match the spec fails here and
	// not at the first truck.
	probe := gocv.NewMatWithSize(spec.Input.Height, spec.Input.Width, gocv.MatTypeCV8UC3)
	defer probe.Close()
	if _, _, err := s.classify(probe); err != nil {
		s.Close()
		return nil, fmt.Errorf("mud model %s: %w", spec.File, err)
	}
	// The features a calibration may weigh (KindFeatures): the input of the last linear layer,
	// named as OpenCV names it (so asking for it cannot throw), and only if a trial run gives
	// a flat vector of a sensible length.
	if name := featureLayer(&s.net); name != "" {
		s.feature = name
		if _, f, err := s.classify(probe); err == nil && len(f) >= 2 && len(f) <= 1024 {
			s.dims = len(f)
		} else {
			s.feature = ""
		}
	}
	return s, nil
}

// featureLayer is the name of the layer before the network's last fully connected layer
// (OpenCV's InnerProduct), or "" when it has none. gocv's GetLayerNames returns freed strings
// in v0.31, so the names are read layer by layer.
func featureLayer(net *gocv.Net) string {
	n := len(net.GetLayerNames())
	last := -1
	names := make([]string, n+1)
	for i := 1; i <= n; i++ {
		l := net.GetLayer(i)
		names[i] = l.GetName()
		if l.GetType() == "InnerProduct" {
			last = i
		}
		l.Close()
	}
	if last < 2 {
		return ""
	}
	return names[last-1]
}

// FeatureDims is the length of the features Score returns for each region (0: none).
func (s *ONNXScorer) FeatureDims() int { return s.dims }

// Spec is the loaded model's spec.
func (s *ONNXScorer) Spec() Spec { return s.spec }

// Name is "onnx".
func (s *ONNXScorer) Name() string { return ONNX }

// Close releases the model.
func (s *ONNXScorer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.net.Close()
}

// classify returns the positive label's probability for an input-sized BGR image, and the
// features of the feature layer when the scorer has one (one pass through the network).
func (s *ONNXScorer) classify(img gocv.Mat) (float64, []float64, error) {
	sp := s.spec
	mean := gocv.NewScalar(sp.Mean[0], sp.Mean[1], sp.Mean[2], 0)
	blob := gocv.BlobFromImage(img, sp.Scale, image.Pt(sp.Input.Width, sp.Input.Height), mean, sp.Input.Order == "rgb", false)
	defer blob.Close()
	var out gocv.Mat
	var feats []float64
	s.mu.Lock()
	s.net.SetInput(blob, "")
	if s.feature == "" {
		out = s.net.Forward("")
	} else {
		outs := s.net.ForwardLayers([]string{s.feature, s.outputName()})
		if len(outs) == 2 {
			feats = floats(outs[0])
			outs[0].Close()
			out = outs[1]
		} else {
			for _, m := range outs {
				m.Close()
			}
			out = gocv.NewMat()
		}
	}
	s.mu.Unlock()
	defer out.Close()
	if out.Empty() || out.Total() != len(sp.Labels) || out.Type() != gocv.MatTypeCV32F {
		return 0, nil, fmt.Errorf("model output has %d values of type %v, the spec lists %d labels", out.Total(), out.Type(), len(sp.Labels))
	}
	p, err := positive(out, sp)
	return p, feats, err
}

// outputName is the network's last layer, whose output Forward("") returns.
func (s *ONNXScorer) outputName() string {
	n := len(s.net.GetLayerNames())
	l := s.net.GetLayer(n)
	defer l.Close()
	return l.GetName()
}

// floats copies a float32 Mat's values; nil when it is not one.
func floats(m gocv.Mat) []float64 {
	if m.Empty() || m.Type() != gocv.MatTypeCV32F {
		return nil
	}
	flat := m.Reshape(1, 1)
	defer flat.Close()
	v, err := flat.DataPtrFloat32()
	if err != nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// positive is the positive label's probability from a model's output.
func positive(out gocv.Mat, sp Spec) (float64, error) {
	flat := out.Reshape(1, 1)
	defer flat.Close()
	logits, err := flat.DataPtrFloat32()
	if err != nil {
		return 0, err
	}
	// Softmax, unless the model already ends in one.
	sum, isProb := 0.0, true
	for _, v := range logits {
		sum += float64(v)
		isProb = isProb && v >= 0 && v <= 1
	}
	if isProb && math.Abs(sum-1) < 1e-3 {
		return float64(logits[sp.positiveIndex()]), nil
	}
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	sum = 0
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	return math.Exp(float64(logits[sp.positiveIndex()])-mx) / sum, nil
}

// Score scores every region of frame.
func (s *ONNXScorer) Score(frame gocv.Mat, regions []Region) (Result, error) {
	bgr, done, err := prepare(frame, regions)
	if err != nil {
		return Result{}, err
	}
	defer done()
	var res Result
	for _, r := range regions {
		m, _, err := resized(bgr, r, s.spec.Input.Width, s.spec.Input.Height)
		if err != nil {
			m.Close()
			return Result{}, err
		}
		p, feats, err := s.classify(m)
		if err == nil {
			res.Quality += sharpness(m) / float64(len(regions))
			if s.dims > 0 && len(feats) == s.dims {
				res.Features = append(res.Features, feats)
			}
		}
		m.Close()
		if err != nil {
			return Result{}, fmt.Errorf("mud model %s: %w", s.spec.File, err)
		}
		res.Regions = append(res.Regions, RegionScore{Name: r.Name, Score: p})
		res.Score = math.Max(res.Score, p)
	}
	if len(res.Features) != len(regions) {
		res.Features = nil
	}
	return res, nil
}

// sharpness is the mean absolute difference between neighbouring grey pixels of a BGR image.
func sharpness(m gocv.Mat) float64 {
	b := m.ToBytes()
	w, h := m.Cols(), m.Rows()
	var sum float64
	var n int
	for y := 0; y < h; y++ {
		for x := 1; x < w; x++ {
			i, j := 3*(y*w+x), 3*(y*w+x-1)
			g1 := 0.114*float64(b[i]) + 0.587*float64(b[i+1]) + 0.299*float64(b[i+2])
			g0 := 0.114*float64(b[j]) + 0.587*float64(b[j+1]) + 0.299*float64(b[j+2])
			sum += math.Abs(g1 - g0)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
