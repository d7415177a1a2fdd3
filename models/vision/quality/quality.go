package quality

import (
	"fmt"
	"math"
	"sort"
)

// Reason is why a frame cannot carry a verdict; "" when it can.
type Reason string

// The reasons a frame is refused, in the order they are tested.
const (
	Fine        Reason = ""
	TooDark     Reason = "too dark"
	Overexposed Reason = "overexposed"
	NoContrast  Reason = "no contrast"
	Obstructed  Reason = "lens obstructed"
	Blurred     Reason = "blurred"
	NoVehicle   Reason = "no vehicle in the regions"
)

// Reasons lists every reason a frame can be refused for.
var Reasons = []Reason{TooDark, Overexposed, NoContrast, Obstructed, Blurred, NoVehicle}

// Message is the reason as a check's result says it: "camera cannot see: too dark".
func (r Reason) Message() string {
	if r == Fine {
		return ""
	}
	return "camera cannot see: " + string(r)
}

// Grey is an 8-bit greyscale image, row after row.
type Grey struct {
	Pix  []uint8
	W, H int
}

// Box is a rectangle in coordinates relative to the frame (0..1): a region's bounds.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Limits are the bounds a frame must keep to carry a verdict. The zero value of a field takes
// its default (Defaults).
type Limits struct {
	// DarkP99: a frame whose 99th percentile of brightness in the regions is below it is too
	// dark (nothing in the regions reaches even a dim grey).
	DarkP99 float64
	// BrightP1: a frame whose 1st percentile is above it is overexposed (nothing in the regions
	// is darker than a light grey), and so is one with more than SaturatedShare of its region
	// pixels at 250 or above.
	BrightP1       float64
	SaturatedShare float64
	// MinSpread is the least spread (99th minus 1st percentile) of a frame with contrast.
	MinSpread float64
	// MinSharpness is the least edge strength relative to the contrast (Measures.Sharpness).
	MinSharpness float64
	// MaxUniform is the largest share of the regions one uniform blob may cover.
	MaxUniform float64
	// MinChange is the least share of region cells that must differ from the empty-lane
	// reference for a vehicle to be there. Without a learned reference presence is not judged:
	// texture alone does not tell a plain truck at dusk from an empty road (measured).
	MinChange float64
}

// Defaults are the limits measured on the scene sets (docs/mud.md, "When the camera cannot see").
var Defaults = Limits{
	DarkP99: 40, BrightP1: 180, SaturatedShare: 0.55, MinSpread: 24,
	MinSharpness: 0.14, MaxUniform: 0.55, MinChange: 0.12,
}

func (l Limits) withDefaults() Limits {
	d := Defaults
	pick := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&l.DarkP99, d.DarkP99)
	pick(&l.BrightP1, d.BrightP1)
	pick(&l.SaturatedShare, d.SaturatedShare)
	pick(&l.MinSpread, d.MinSpread)
	pick(&l.MinSharpness, d.MinSharpness)
	pick(&l.MaxUniform, d.MaxUniform)
	pick(&l.MinChange, d.MinChange)
	return l
}

// Measures are what a frame was judged on, over the pixels inside the regions' boxes.
type Measures struct {
	Mean, Std float64
	P1, P99   float64
	Saturated float64 // share of pixels at 250 or above
	// Sharpness is the steepest edges' step between neighbouring pixels (the 99.5th percentile
	// of a pixel's larger step across or down) over the spread of brightness: whatever the
	// exposure, a focused frame has edges that take a good part of the spread in one pixel, a
	// blurred one spreads every edge over many.
	Sharpness float64
	// Uniform is the share of the regions covered by the largest blob of flat cells of one
	// brightness (mud or a drop on the lens, a cover over the camera).
	Uniform float64
	// Texture is the share of pixels with a strong edge; Change the share of cells that differ
	// from the empty-lane reference (-1 without a reference).
	Texture float64
	Change  float64
}

// Verdict is the judgement of one frame.
type Verdict struct {
	Reason   Reason // Fine when the frame can carry a verdict
	Measures Measures
}

// OK reports whether the frame can carry a verdict.
func (v Verdict) OK() bool { return v.Reason == Fine }

// wholeFlat is the spread of a frame flat all over (a grey frame), as opposed to one with a
// blob over part of the regions.
const wholeFlat = 8

// cell is the side, in pixels of the working image, of the cells the uniform blob and the
// reference are counted in.
const cell = 8

// Assess judges whether g shows the regions well enough for a verdict. ref, when it has learned
// the empty lane, tells whether something stands in the regions; without it, texture does.
func Assess(g Grey, boxes []Box, ref *Reference, lim Limits) Verdict {
	lim = lim.withDefaults()
	m := measure(g, boxes, ref)
	v := Verdict{Measures: m}
	switch {
	case m.P99 < lim.DarkP99:
		v.Reason = TooDark
	case m.P1 > lim.BrightP1 || m.Saturated > lim.SaturatedShare:
		v.Reason = Overexposed
	case m.P99-m.P1 < wholeFlat:
		v.Reason = NoContrast // flat all over: nothing to see, rather than something in the way
	case m.Uniform > lim.MaxUniform:
		v.Reason = Obstructed
	case m.P99-m.P1 < lim.MinSpread:
		v.Reason = NoContrast
	case m.Sharpness < lim.MinSharpness:
		v.Reason = Blurred
	case m.Change >= 0 && m.Change < lim.MinChange:
		v.Reason = NoVehicle
	}
	return v
}

// rect is a box in pixels of g, clipped; empty when it has no pixel.
type rect struct{ x0, y0, x1, y1 int }

func (b Box) in(g Grey) rect {
	cl := func(v float64, n int) int { return min(n, max(0, int(math.Round(v*float64(n))))) }
	return rect{cl(b.X0, g.W), cl(b.Y0, g.H), cl(b.X1, g.W), cl(b.Y1, g.H)}
}

func (r rect) empty() bool { return r.x1-r.x0 < 2 || r.y1-r.y0 < 2 }

func measure(g Grey, boxes []Box, ref *Reference) Measures {
	var hist [256]int
	n := 0
	var steps [256]int
	var strong, gradN int
	for _, b := range boxes {
		r := b.in(g)
		if r.empty() {
			continue
		}
		for y := r.y0; y < r.y1; y++ {
			row := g.Pix[y*g.W : (y+1)*g.W]
			for x := r.x0; x < r.x1; x++ {
				hist[row[x]]++
				n++
				if x+1 < r.x1 && y+1 < r.y1 {
					v := int(row[x])
					dx := abs(int(row[x+1]) - v)
					dy := abs(int(g.Pix[(y+1)*g.W+x]) - v)
					d := max(dx, dy)
					steps[d]++
					gradN++
					if d >= 24 {
						strong++
					}
				}
			}
		}
	}
	m := Measures{Change: -1}
	if n == 0 {
		return m
	}
	var sum, sq float64
	for v, c := range hist {
		sum += float64(v * c)
		sq += float64(v * v * c)
	}
	m.Mean = sum / float64(n)
	m.Std = math.Sqrt(math.Max(0, sq/float64(n)-m.Mean*m.Mean))
	m.P1, m.P99 = percentile(hist[:], n, 0.01), percentile(hist[:], n, 0.99)
	sat := 0
	for v := 250; v < 256; v++ {
		sat += hist[v]
	}
	m.Saturated = float64(sat) / float64(n)
	if gradN > 0 {
		m.Sharpness = percentile(steps[:], gradN, 0.995) / math.Max(8, m.P99-m.P1)
		m.Texture = float64(strong) / float64(gradN)
	}
	m.Uniform = uniform(g, boxes)
	if ref != nil && ref.Learned() {
		m.Change = ref.change(g, boxes)
	}
	return m
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func percentile(hist []int, n int, q float64) float64 {
	k := int(q * float64(n-1))
	acc := 0
	for v, c := range hist {
		acc += c
		if acc > k {
			return float64(v)
		}
	}
	return 255
}

// cellStats are the mean and the spread (largest neighbour step) of each cell×cell cell of a box.
type cellStats struct {
	cols, rows int
	mean, flat []float64
}

func cellsOf(g Grey, r rect) cellStats {
	cs := cellStats{cols: max(1, (r.x1-r.x0)/cell), rows: max(1, (r.y1-r.y0)/cell)}
	cs.mean = make([]float64, cs.cols*cs.rows)
	cs.flat = make([]float64, cs.cols*cs.rows)
	for cy := 0; cy < cs.rows; cy++ {
		for cx := 0; cx < cs.cols; cx++ {
			x0, y0 := r.x0+cx*cell, r.y0+cy*cell
			x1, y1 := min(r.x1, x0+cell), min(r.y1, y0+cell)
			var s, d float64
			k, kd := 0, 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					v := float64(g.Pix[y*g.W+x])
					s += v
					k++
					if x+1 < x1 {
						d += math.Abs(float64(g.Pix[y*g.W+x+1]) - v)
						kd++
					}
				}
			}
			i := cy*cs.cols + cx
			cs.mean[i] = s / float64(max(1, k))
			cs.flat[i] = d / float64(max(1, kd))
		}
	}
	return cs
}

// flatStep is the largest mean neighbour step of a cell that counts as flat, and blobTone how
// far in brightness a flat cell may be from its neighbour in one blob.
const (
	flatStep = 1.6
	blobTone = 6
)

// uniform is the share of the regions' cells in the largest 4-connected blob of flat cells of
// one brightness within one region. A blob is counted within a region, not across regions: a
// truck's plain panels run across the region boundaries and, counted across, cover as much of
// the regions as mud on the lens does (measured on the scene sets: up to 0.85 across, 0.48
// within).
func uniform(g Grey, boxes []Box) float64 {
	total, best := 0, 0
	for _, b := range boxes {
		r := b.in(g)
		if r.empty() {
			continue
		}
		cs := cellsOf(g, r)
		total += len(cs.mean)
		seen := make([]bool, len(cs.mean))
		for i := range cs.mean {
			if seen[i] || cs.flat[i] > flatStep {
				continue
			}
			size := 0
			stack := []int{i}
			seen[i] = true
			for len(stack) > 0 {
				c := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				size++
				cx, cy := c%cs.cols, c/cs.cols
				for _, nb := range [][2]int{{cx - 1, cy}, {cx + 1, cy}, {cx, cy - 1}, {cx, cy + 1}} {
					if nb[0] < 0 || nb[1] < 0 || nb[0] >= cs.cols || nb[1] >= cs.rows {
						continue
					}
					j := nb[1]*cs.cols + nb[0]
					if !seen[j] && cs.flat[j] <= flatStep && math.Abs(cs.mean[j]-cs.mean[c]) <= blobTone {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
			best = max(best, size)
		}
	}
	if total == 0 {
		return 0
	}
	return float64(best) / float64(total)
}

// Reference is a camera's learned view of its empty lane: the mean brightness of each cell of
// the regions, averaged over frames taken while no truck was there. Learn it from such frames;
// Assess then counts a frame whose regions barely differ from it as showing no vehicle. Not
// safe for concurrent use.
type Reference struct {
	w, h  int       // the working size it was learned at
	boxes []Box     // the regions it was learned for
	cells []float64 // every box's cell means, in order
	n     int
}

// refWeight caps the weight of the past in the running mean, so the reference follows the
// light of the day.
const refWeight = 8

// Learned reports whether the reference has seen the empty lane.
func (r *Reference) Learned() bool { return r != nil && r.n > 0 }

// Learn adds a frame of the empty lane. A frame of another size or other regions restarts it.
func (r *Reference) Learn(g Grey, boxes []Box) {
	var cells []float64
	for _, b := range boxes {
		rc := b.in(g)
		if rc.empty() {
			continue
		}
		cells = append(cells, cellsOf(g, rc).mean...)
	}
	if r.w != g.W || r.h != g.H || !sameBoxes(r.boxes, boxes) || len(r.cells) != len(cells) {
		r.w, r.h, r.boxes, r.cells, r.n = g.W, g.H, append([]Box(nil), boxes...), cells, 1
		return
	}
	r.n = min(r.n+1, refWeight)
	k := 1 / float64(r.n)
	for i, v := range cells {
		r.cells[i] += (v - r.cells[i]) * k
	}
}

// Reset forgets the empty lane.
func (r *Reference) Reset() { *r = Reference{} }

func sameBoxes(a, b []Box) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// changeStep is how far in brightness a cell must be from the reference to count as changed.
const changeStep = 8

// change is the share of cells that differ from the reference; -1 if it was learned for another
// size or other regions. The overall brightness difference is taken out first, so a cloud
// passing over the empty lane is no vehicle.
func (r *Reference) change(g Grey, boxes []Box) float64 {
	if r.w != g.W || r.h != g.H || !sameBoxes(r.boxes, boxes) {
		return -1
	}
	var cells []float64
	for _, b := range boxes {
		rc := b.in(g)
		if rc.empty() {
			continue
		}
		cells = append(cells, cellsOf(g, rc).mean...)
	}
	if len(cells) != len(r.cells) || len(cells) == 0 {
		return -1
	}
	d := make([]float64, len(cells))
	for i := range cells {
		d[i] = cells[i] - r.cells[i]
	}
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	med := s[len(s)/2]
	changed := 0
	for _, v := range d {
		if math.Abs(v-med) > changeStep {
			changed++
		}
	}
	return float64(changed) / float64(len(d))
}

// String is the measures in a log line.
func (m Measures) String() string {
	return fmt.Sprintf("mean %.0f std %.1f p1 %.0f p99 %.0f sat %.2f sharp %.3f uniform %.2f texture %.3f change %.2f",
		m.Mean, m.Std, m.P1, m.P99, m.Saturated, m.Sharpness, m.Uniform, m.Texture, m.Change)
}

// union is the bounding box of boxes, and boxes relative to it.
func union(boxes []Box) (Box, []Box) {
	if len(boxes) == 0 {
		return Box{0, 0, 1, 1}, nil
	}
	u := boxes[0]
	for _, b := range boxes[1:] {
		u.X0, u.Y0 = math.Min(u.X0, b.X0), math.Min(u.Y0, b.Y0)
		u.X1, u.Y1 = math.Max(u.X1, b.X1), math.Max(u.Y1, b.Y1)
	}
	u.X0, u.Y0 = math.Max(0, u.X0), math.Max(0, u.Y0)
	u.X1, u.Y1 = math.Min(1, u.X1), math.Min(1, u.Y1)
	dw, dh := u.X1-u.X0, u.Y1-u.Y0
	if dw <= 0 || dh <= 0 {
		return Box{0, 0, 1, 1}, boxes
	}
	out := make([]Box, len(boxes))
	for i, b := range boxes {
		out[i] = Box{(b.X0 - u.X0) / dw, (b.Y0 - u.Y0) / dh, (b.X1 - u.X0) / dw, (b.Y1 - u.Y0) / dh}
	}
	return u, out
}
