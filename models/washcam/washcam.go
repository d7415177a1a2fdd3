package washcam

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"sitegate/models/vision/quality"
)

// Point is a position in the frame in relative coordinates (0..1).
type Point struct{ X, Y float64 }

// Config tunes a Detector. The zero value of a field takes its default.
type Config struct {
	// Cols and Rows divide the region's bounding box into cells; default 16 and 10.
	Cols, Rows int
	// CellDiff is how far a cell's normalised brightness must be from the reference's for the
	// cell to count as changed (relative: 0.15 is 15 %); default 0.15.
	CellDiff float64
	// TextureDiff is the relative change of a cell's edge energy that counts as changed;
	// default 0.8.
	TextureDiff float64
	// OnShare and OffShare are the hysteresis on the share of the region's cells that changed:
	// the bay is seen occupied from OnShare up, empty again from OffShare down; default 0.30
	// and 0.12.
	OnShare, OffShare float64
	// MinOn is how long the bay must look occupied before it is (a person walking through is
	// not a stay); MinOff how long it must look empty before the vehicle has left (spray,
	// a truck rocking); default 6 s and 4 s.
	MinOn, MinOff time.Duration
	// Learn is how much of each empty frame goes into the reference (its update rate); default
	// 0.05.
	Learn float64
	// Relearn: a bay seen occupied longer than this is taken as empty with something new in
	// it (a parked machine, a changed scene) and its reference is learned again; default 30 m.
	Relearn time.Duration
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Cols <= 0 {
		c.Cols = 16
	}
	if c.Rows <= 0 {
		c.Rows = 10
	}
	def(&c.CellDiff, 0.15)
	def(&c.TextureDiff, 0.8)
	def(&c.OnShare, 0.30)
	def(&c.OffShare, 0.12)
	def(&c.Learn, 0.05)
	if c.MinOn <= 0 {
		c.MinOn = 6 * time.Second
	}
	if c.MinOff <= 0 {
		c.MinOff = 4 * time.Second
	}
	if c.Relearn <= 0 {
		c.Relearn = 30 * time.Minute
	}
	return c
}

// Validate reports the first setting out of its range, by its yaml key.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Cols > 64 || c.Rows > 64:
		return errors.New("cols and rows are at most 64")
	case c.CellDiff > 1:
		return fmt.Errorf("cell_diff: %g is not 0 to 1", c.CellDiff)
	case c.TextureDiff > 10:
		return fmt.Errorf("texture_diff: %g is not 0 to 10", c.TextureDiff)
	case c.OnShare > 1 || c.OffShare >= c.OnShare:
		return fmt.Errorf("on_share %g and off_share %g: need 0 < off_share < on_share <= 1", c.OnShare, c.OffShare)
	case c.Learn > 1:
		return fmt.Errorf("learn: %g is not 0 to 1", c.Learn)
	}
	return nil
}

// gainBand is how far a cell's brightness ratio may be from the last gain for the cell to
// set the next: the light may change by this much from one frame to the next.
const gainBand = 0.3

// Reading is what a frame said of the bay.
type Reading struct {
	// Occupied is the bay's state after the hysteresis and the minimum times, and At the time
	// it holds from: when Occupied turns on, At is when the bay first looked occupied (the
	// stay's start); when it turns off, when it first looked empty (the stay's end); while a
	// vehicle looks gone but MinOff has not passed, the last time it was seen.
	Occupied bool
	At       time.Time
	// Share is the share of the region's cells that differ from the empty bay.
	Share float64
	// Learned says the reference has been learned (false for the first frame).
	Learned bool
}

// Detector watches one bay. Not safe for concurrent use.
type Detector struct {
	cfg    Config
	polys  [][]Point
	box    quality.Box
	in     []bool // cells whose centre lies in the region
	nIn    int
	ref    []float64 // per cell: brightness at gain 1
	refT   []float64 // per cell: edge energy at gain 1
	prevOK []bool    // cells unchanged in the last frame (they set the gain)
	gain   float64
	w, h   int // the size of the frames learned

	rawOn                 bool
	on                    bool
	pendOn, pendOff, last time.Time
	since                 time.Time // when on came on (Relearn)
	resumed               int       // frames seen occupied again while leaving
}

// New returns a detector for the region (polygons in relative coordinates; at least one, each
// with at least three points).
func New(cfg Config, region [][]Point) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if len(region) == 0 {
		return nil, errors.New("washcam: no region")
	}
	b := quality.Box{X0: 1, Y0: 1}
	for _, p := range region {
		if len(p) < 3 {
			return nil, errors.New("washcam: a polygon needs at least three points")
		}
		for _, q := range p {
			if q.X < 0 || q.X > 1 || q.Y < 0 || q.Y > 1 || math.IsNaN(q.X) || math.IsNaN(q.Y) {
				return nil, errors.New("washcam: a point is outside 0..1")
			}
			b.X0, b.Y0, b.X1, b.Y1 = min(b.X0, q.X), min(b.Y0, q.Y), max(b.X1, q.X), max(b.Y1, q.Y)
		}
	}
	if b.X1-b.X0 < 0.02 || b.Y1-b.Y0 < 0.02 {
		return nil, errors.New("washcam: the region is too small")
	}
	d := &Detector{cfg: cfg, polys: region, box: b, gain: 1}
	n := cfg.Cols * cfg.Rows
	d.in = make([]bool, n)
	for r := 0; r < cfg.Rows; r++ {
		for c := 0; c < cfg.Cols; c++ {
			x := b.X0 + (float64(c)+0.5)/float64(cfg.Cols)*(b.X1-b.X0)
			y := b.Y0 + (float64(r)+0.5)/float64(cfg.Rows)*(b.Y1-b.Y0)
			for _, p := range region {
				if inside(p, x, y) {
					d.in[r*cfg.Cols+c] = true
					d.nIn++
					break
				}
			}
		}
	}
	if d.nIn < 4 {
		return nil, errors.New("washcam: the region covers fewer than four cells")
	}
	return d, nil
}

// Box is the region's bounding box, for the blind-camera judgement.
func (d *Detector) Box() quality.Box { return d.box }

// inside is the even-odd rule.
func inside(p []Point, x, y float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i].Y > y) != (p[j].Y > y) && x < (p[j].X-p[i].X)*(y-p[i].Y)/(p[j].Y-p[i].Y)+p[i].X {
			in = !in
		}
	}
	return in
}

// cells measures each cell's mean brightness and edge energy (mean absolute difference to the
// right and below neighbour).
func (d *Detector) cells(g quality.Grey) (mean, edge []float64) {
	n := d.cfg.Cols * d.cfg.Rows
	mean, edge = make([]float64, n), make([]float64, n)
	x0, y0 := int(d.box.X0*float64(g.W)), int(d.box.Y0*float64(g.H))
	x1, y1 := min(g.W, int(math.Ceil(d.box.X1*float64(g.W)))), min(g.H, int(math.Ceil(d.box.Y1*float64(g.H))))
	bw, bh := x1-x0, y1-y0
	for r := 0; r < d.cfg.Rows; r++ {
		cy0, cy1 := y0+r*bh/d.cfg.Rows, y0+(r+1)*bh/d.cfg.Rows
		for c := 0; c < d.cfg.Cols; c++ {
			i := r*d.cfg.Cols + c
			if !d.in[i] {
				continue
			}
			cx0, cx1 := x0+c*bw/d.cfg.Cols, x0+(c+1)*bw/d.cfg.Cols
			var s, e, k float64
			for y := cy0; y < cy1; y++ {
				row := g.Pix[y*g.W : (y+1)*g.W]
				for x := cx0; x < cx1; x++ {
					v := float64(row[x])
					s += v
					if x+1 < g.W {
						e += math.Abs(v - float64(row[x+1]))
					}
					if y+1 < g.H {
						e += math.Abs(v - float64(g.Pix[(y+1)*g.W+x]))
					}
					k++
				}
			}
			if k > 0 {
				mean[i], edge[i] = s/k+1, e/k
			}
		}
	}
	return mean, edge
}

// Observe takes a frame of the bay at a time (frames in time order).
func (d *Detector) Observe(g quality.Grey, at time.Time) (Reading, error) {
	if g.W < 8 || g.H < 8 || len(g.Pix) < g.W*g.H {
		return Reading{}, errors.New("washcam: frame too small")
	}
	w, h := int((d.box.X1-d.box.X0)*float64(g.W)), int((d.box.Y1-d.box.Y0)*float64(g.H))
	if w < d.cfg.Cols || h < d.cfg.Rows {
		return Reading{}, fmt.Errorf("washcam: the region is %dx%d pixels, fewer than its %dx%d cells", w, h, d.cfg.Cols, d.cfg.Rows)
	}
	mean, edge := d.cells(g)
	if d.ref == nil || d.w != g.W || d.h != g.H {
		d.learnAll(mean, edge, g)
		return Reading{At: at, Learned: false}, nil
	}
	// The gain: how much brighter the scene is than the reference. It comes from the cells
	// that showed the empty bay in the last frame and still agree with the last gain, when
	// there are enough of them (a third of the bay; a sixth while it looks empty): a truck
	// covering most of the bay, or driving over cells that were empty, does not set it. When
	// too few agree and most of the bay changed alike, the light changed at once: the median
	// of all cells sets it. Otherwise the last gain holds.
	var cons, all []float64
	for i, ok := range d.in {
		if !ok {
			continue
		}
		r := mean[i] / d.ref[i]
		all = append(all, r)
		if d.prevOK[i] && math.Abs(r/d.gain-1) < gainBand {
			cons = append(cons, r)
		}
	}
	switch {
	case len(cons) >= max(3, d.nIn/3), len(cons) >= max(3, d.nIn/6) && !d.on && !d.rawOn:
		d.gain = median(cons)
	default:
		m, alike := median(all), 0
		for _, r := range all {
			if math.Abs(r/m-1) < d.cfg.CellDiff/2 {
				alike++
			}
		}
		if alike*3 >= len(all)*2 {
			d.gain = m
		}
	}
	changed := 0
	for i, ok := range d.in {
		if !ok {
			continue
		}
		dm := math.Abs(mean[i]/d.gain-d.ref[i]) / d.ref[i]
		dt := math.Abs(edge[i]/d.gain-d.refT[i]) / (d.refT[i] + 2)
		d.prevOK[i] = dm <= d.cfg.CellDiff && dt <= d.cfg.TextureDiff
		if !d.prevOK[i] {
			changed++
		}
	}
	share := float64(changed) / float64(d.nIn)
	if share >= d.cfg.OnShare {
		d.rawOn = true
	} else if share <= d.cfg.OffShare {
		d.rawOn = false
	}
	r := Reading{Share: share, Learned: true}
	switch {
	case !d.on && d.rawOn:
		if d.pendOn.IsZero() {
			d.pendOn = at
		}
		if at.Sub(d.pendOn) >= d.cfg.MinOn {
			d.on, d.since, d.last = true, d.pendOn, at
			d.pendOff = time.Time{}
			r.Occupied, r.At = true, d.pendOn
			return r, nil
		}
		r.At = at
	case !d.on:
		d.pendOn = time.Time{}
		r.At = at
		if share <= d.cfg.OffShare {
			d.learn(mean, edge)
		}
	case d.rawOn && !d.pendOff.IsZero() && d.resumed == 0:
		// Seen again while leaving: one frame (a burst of spray where the truck stood) does
		// not bring it back; two in a row do.
		d.resumed++
		if at.Sub(d.pendOff) >= d.cfg.MinOff {
			d.on, d.pendOn, d.resumed = false, time.Time{}, 0
			r.At = d.pendOff
			return r, nil
		}
		r.Occupied, r.At = true, d.last
	case d.rawOn:
		d.pendOff, d.last, d.resumed = time.Time{}, at, 0
		r.Occupied, r.At = true, at
		if at.Sub(d.since) > d.cfg.Relearn {
			d.learnAll(mean, edge, g)
			d.on, d.rawOn, d.pendOn = false, false, time.Time{}
			r.Occupied, r.At = false, at
		}
	default:
		d.resumed = 0
		if d.pendOff.IsZero() {
			d.pendOff = at
		}
		if at.Sub(d.pendOff) >= d.cfg.MinOff {
			d.on, d.pendOn = false, time.Time{}
			r.At = d.pendOff
			return r, nil
		}
		r.Occupied, r.At = true, d.last
	}
	return r, nil
}

// Occupied is the state after the last frame.
func (d *Detector) Occupied() bool { return d.on }

func (d *Detector) learnAll(mean, edge []float64, g quality.Grey) {
	d.ref, d.refT = slices.Clone(mean), slices.Clone(edge)
	d.prevOK = slices.Clone(d.in)
	d.gain, d.w, d.h = 1, g.W, g.H
}

// learn blends an empty frame into the reference, at gain 1, cell by cell: only cells that
// showed the empty bay (a person at the edge is not learned).
func (d *Detector) learn(mean, edge []float64) {
	a := d.cfg.Learn
	for i, ok := range d.prevOK {
		if !ok || !d.in[i] {
			continue
		}
		d.ref[i] = (1-a)*d.ref[i] + a*mean[i]/d.gain
		d.refT[i] = (1-a)*d.refT[i] + a*edge[i]/d.gain
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
