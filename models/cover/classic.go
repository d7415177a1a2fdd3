//go:build !nocv

package cover

import (
	"errors"
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"sitegate/models/mud"
	"sitegate/models/vision"
	"sitegate/models/vision/frames"
)

func init() { Scorers.Register(Classic, vision.Info{}, newClassic) }

func newClassic(mud.Config) (mud.Scorer, error) { return NewClassic(DefaultModel), nil }

// ClassicScorer scores the load bed by colour, texture and shape statistics weighed by boosted
// trees (Model).
type ClassicScorer struct{ model Model }

// NewClassic returns a classic cover scorer using model (DefaultModel unless refitted).
func NewClassic(model Model) *ClassicScorer { return &ClassicScorer{model: model} }

// Name is "classic".
func (c *ClassicScorer) Name() string { return Classic }

// Close does nothing.
func (c *ClassicScorer) Close() error { return nil }

// Score scores every region of frame (BGR, BGRA or grey 8-bit): each region's probability that
// the load is not properly covered, the highest as the frame's, and the kind of failure.
func (c *ClassicScorer) Score(frame gocv.Mat, regions []mud.Region) (mud.Result, error) {
	feats, sharp, err := regionFeatures(frame, regions)
	if err != nil {
		return mud.Result{}, err
	}
	res := c.model.Result(regions, feats)
	for _, q := range sharp {
		res.Quality += q / float64(len(regions))
	}
	return res, nil
}

// Features returns the classic feature vector of each region of frame, for fitting Model.Cover.
func Features(frame gocv.Mat, regions []mud.Region) ([][]float64, error) {
	f, _, err := regionFeatures(frame, regions)
	return f, err
}

// KindFeatures is a frame's kind vector, for fitting Model.Kinds, from its regions' features
// (Features) and their scores under Model.Cover.
func KindFeatures(regions []mud.Region, feats [][]float64, scores []float64) []float64 {
	above := make([]bool, len(regions))
	for i, r := range regions {
		above[i] = IsAbove(r.Name)
	}
	return kindFeatures(feats, above, scores)
}

// Working size of a region: its box scaled down (never up) to at most maxRows rows and maxCols
// columns, its aspect kept: fine enough for a net's mesh and a tarp's ropes, small enough to
// cost a few milliseconds.
const (
	maxRows = 120
	maxCols = 360
)

func patchSize(box image.Rectangle) (int, int) {
	s := math.Min(1, math.Min(maxRows/float64(box.Dy()), maxCols/float64(box.Dx())))
	return max(8, int(math.Round(float64(box.Dx())*s))), max(8, int(math.Round(float64(box.Dy())*s)))
}

// regionFeatures computes every region's features and sharpness.
func regionFeatures(frame gocv.Mat, regions []mud.Region) ([][]float64, []float64, error) {
	if len(regions) == 0 {
		return nil, nil, errors.New("cover: no regions to score")
	}
	bgr, release, err := frames.BGR(frame)
	if err != nil {
		return nil, nil, fmt.Errorf("cover: %w", err)
	}
	defer release()
	gains, err := frameGains(bgr)
	if err != nil {
		return nil, nil, err
	}
	feats := make([][]float64, len(regions))
	sharp := make([]float64, len(regions))
	for i, r := range regions {
		p, err := cutPatch(bgr, r)
		if err != nil {
			return nil, nil, err
		}
		feats[i], sharp[i] = features(p, gains, IsAbove(r.Name))
	}
	return feats, sharp, nil
}

// frameGains are the white-balance gains of the whole frame, from a small copy of it.
func frameGains(bgr gocv.Mat) (Gains, error) {
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(bgr, &small, image.Pt(64, 36), 0, 0, gocv.InterpolationArea)
	if small.Empty() || small.Cols() != 64 || small.Rows() != 36 {
		return Gains{}, errors.New("cover: the frame did not resize")
	}
	return grayWorld(small.ToBytes()), nil
}

// cutPatch is region r of bgr at working size, with its polygon mask.
func cutPatch(bgr gocv.Mat, r mud.Region) (patch, error) {
	fw, fh := bgr.Cols(), bgr.Rows()
	if len(r.Polygon) < 3 {
		return patch{}, fmt.Errorf("cover: region %s needs at least 3 points", r.Name)
	}
	box := r.Bounds(fw, fh)
	if box.Empty() {
		return patch{}, fmt.Errorf("cover: region %s is empty in a %dx%d frame", r.Name, fw, fh)
	}
	w, h := patchSize(box)
	sub := bgr.Region(box)
	defer sub.Close()
	m := gocv.NewMat()
	defer m.Close()
	interp := gocv.InterpolationArea
	if w > box.Dx() || h > box.Dy() {
		interp = gocv.InterpolationLinear
	}
	gocv.Resize(sub, &m, image.Pt(w, h), 0, 0, interp)
	if m.Empty() || m.Cols() != w || m.Rows() != h {
		return patch{}, fmt.Errorf("cover: region %s did not resize", r.Name)
	}
	sx, sy := float64(w)/float64(box.Dx()), float64(h)/float64(box.Dy())
	pts := make([][2]float64, len(r.Polygon))
	for i, p := range r.Polygon {
		pts[i] = [2]float64{(p[0]*float64(fw-1) - float64(box.Min.X) + 0.5) * sx, (p[1]*float64(fh-1) - float64(box.Min.Y) + 0.5) * sy}
	}
	return patch{w: w, h: h, bgr: m.ToBytes(), in: mud.InsidePolygon(w, h, pts)}, nil
}
