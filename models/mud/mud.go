package mud

import (
	"errors"
	"fmt"
	"image"
	"math"

	"sitegate/models"
)

// ErrNoVision is returned by the scorers in builds without OpenCV (-tags nocv).
var ErrNoVision = errors.New("mud: vision is not in this build (built with -tags nocv)")

// Scorer names.
const (
	Classic = "classic"
	ONNX    = "onnx"
)

// Config chooses and sets up a scorer.
type Config struct {
	Scorer string // Classic or ONNX
	Model  string // the model spec file, for ONNX
	// Calibration is a calibration file (Calibration, JSON) to apply over the scorer; "" for
	// none.
	Calibration string
}

// Region is a named region of interest: a polygon in coordinates relative to the frame (0..1),
// so a change of resolution does not move it.
type Region struct {
	Name    string
	Polygon [][2]float64
}

// RegionsFrom converts config polygons ([[x, y], ...]) to regions.
func RegionsFrom(names []string, polygons [][][]float64) ([]Region, error) {
	if len(names) != len(polygons) {
		return nil, fmt.Errorf("mud: %d names for %d polygons", len(names), len(polygons))
	}
	out := make([]Region, len(names))
	for i, poly := range polygons {
		out[i].Name = names[i]
		for _, p := range poly {
			if len(p) != 2 {
				return nil, fmt.Errorf("mud: region %s: a point is [x, y]", names[i])
			}
			out[i].Polygon = append(out[i].Polygon, [2]float64{p[0], p[1]})
		}
		if err := out[i].check(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r Region) check() error {
	if len(r.Polygon) < 3 {
		return fmt.Errorf("mud: region %s: needs at least 3 points", r.Name)
	}
	for _, p := range r.Polygon {
		if !(p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1) {
			return fmt.Errorf("mud: region %s: point %v is outside 0..1", r.Name, p)
		}
	}
	return nil
}

// Points is the polygon in pixels of a w×h frame.
func (r Region) Points(w, h int) []image.Point {
	out := make([]image.Point, len(r.Polygon))
	for i, p := range r.Polygon {
		out[i] = image.Pt(int(math.Round(p[0]*float64(w-1))), int(math.Round(p[1]*float64(h-1))))
	}
	return out
}

// Bounds is the polygon's bounding box in a w×h frame, at least 2×2 pixels, inside the frame.
func (r Region) Bounds(w, h int) image.Rectangle {
	pts := r.Points(w, h)
	b := image.Rectangle{Min: pts[0], Max: pts[0]}
	for _, p := range pts[1:] {
		b.Min.X, b.Min.Y = min(b.Min.X, p.X), min(b.Min.Y, p.Y)
		b.Max.X, b.Max.Y = max(b.Max.X, p.X), max(b.Max.Y, p.Y)
	}
	b.Max = b.Max.Add(image.Pt(1, 1))
	b = b.Intersect(image.Rect(0, 0, w, h))
	if b.Dx() < 2 || b.Dy() < 2 {
		return image.Rectangle{}
	}
	return b
}

// RegionScore is one region's mud score.
type RegionScore struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// Result is a frame's judgement: the highest region score, every region's, and how well the
// frame shows the regions (sharpness and exposure; only comparable between frames of one
// camera), by which the best frame of a passage is chosen.
type Result struct {
	Score float64
	// Features are each region's features as the scorer sees them (the onnx scorer's pooled
	// CNN features, in region order), for a calibration of KindFeatures; nil when the scorer
	// has none.
	Features [][]float64
	Regions  []RegionScore
	Quality  float64
	// Kind names what a scorer of several kinds found (the cover check: open, torn, heaped,
	// or covered when nothing is wrong); "" for mud.
	Kind string
}

// Verdict compares a score with a threshold: alarm at or above it.
func Verdict(score, threshold float64) models.Verdict {
	if score >= threshold {
		return models.Alarm
	}
	return models.OK
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
