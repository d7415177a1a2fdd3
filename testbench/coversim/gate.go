package coversim

import (
	"fmt"
	"math"
	"math/rand"
)

// Views of the bed.
const (
	Above = "above" // a camera on a gantry over the exit looking down on the bed
	Side  = "side"  // a camera on a pole beside the lane, 3-6 m up, looking along and over the bed
)

// Gate is one site exit's fixed geometry: where its camera hangs, where it looks, its lens, and
// the surroundings a truck stands in. Everything that changes from truck to truck is in Spec and
// the frame's random source.
type Gate struct {
	Index int    // the gate's number, for its name gate-XX
	View  string // Above or Side
	Mount string // "gantry" or "pole"

	Cam   Vec3    // the camera's position, world frame, metres
	Look  Vec3    // the point the optical axis passes through
	Roll  float64 // radians, positive turns the picture clockwise
	Focal float64 // focal length in frame widths (1.0: a 53° horizontal field of view)
	K1    float64 // radial distortion, negative for the barrel of a wide lens

	Slack       float64 // spread (1 sigma, metres) of where trucks stop along the lane
	Ground      string  // "concrete", "asphalt" or "dirt"
	Hoarding    Vec3    // colour of the site hoarding beyond the lane (linear RGB)
	HoardingY   float64 // lateral position of the hoarding, metres (signed)
	JPEGQuality int     // the camera's encoder quality
	NoiseScale  float64 // sensor noise relative to a typical site camera
	Seed        int64   // scenery (marks on the ground, stains)
	OSD         bool    // the camera burns date, time and its name into the picture
}

// Name is the gate's name in labels and directories: gate-XX.
func (g Gate) Name() string { return fmt.Sprintf("gate-%02d", g.Index) }

// Region is a named frame-relative polygon (x, y in 0..1) as a technician draws it.
type Region struct {
	Name    string
	Polygon [][2]float64
}

// nominal truck used to place cameras and draw regions: a 5.8 m bed, 2.35 m wide, floor 1.4 m up,
// side boards 1.3 m high (top at 2.7 m), bed centre at the world origin.
const (
	nomLen   = 5.8
	nomWid   = 2.35
	nomFloor = 1.4
	nomBoard = 1.3
	nomTop   = nomFloor + nomBoard
	heapBand = 0.9 // height above the boards a technician's above-bed band reaches
)

// RandomGate draws a gate's geometry from seed: the view is chosen by the seed too.
func RandomGate(seed int64) Gate {
	rng := rand.New(rand.NewSource(seed))
	view := Above
	if rng.Intn(2) == 1 {
		view = Side
	}
	return randomGate(rng, seed, view)
}

// RandomGateView draws a gate of the given view (Above or Side) from seed.
func RandomGateView(seed int64, view string) Gate {
	rng := rand.New(rand.NewSource(seed))
	rng.Intn(2) // keep the stream aligned with RandomGate
	return randomGate(rng, seed, view)
}

func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

func randomGate(rng *rand.Rand, seed int64, view string) Gate {
	g := Gate{View: view, Seed: seed}
	switch view {
	case Side:
		g.Mount = "pole"
		side := 1.0
		if rng.Intn(2) == 0 {
			side = -1
		}
		g.Cam = v3(uniform(rng, -9, -2), side*uniform(rng, 3, 5.5), uniform(rng, 3.6, 6))
		g.Look = v3(uniform(rng, -0.6, 0.8), side*uniform(rng, -0.3, 0.3), uniform(rng, 2.6, 3.1))
		g.HoardingY = -side * uniform(rng, 6, 14)
	default:
		g.View = Above
		g.Mount = "gantry"
		x := uniform(rng, 0.6, 3.2)
		if rng.Intn(3) > 0 {
			x = -x // most gantries stand where the truck's rear stops
		}
		y := uniform(rng, -1.2, 1.2)
		if rng.Intn(3) == 0 {
			y = math.Copysign(uniform(rng, 1.5, 3), y) // on the gantry's post, looking in obliquely
		}
		g.Cam = v3(x, y, uniform(rng, 6, 8))
		g.Look = v3(uniform(rng, -0.6, 0.6), uniform(rng, -0.3, 0.3), uniform(rng, 1.8, 2.6))
		g.HoardingY = uniform(rng, 6, 12)
		if rng.Intn(2) == 0 {
			g.HoardingY = -g.HoardingY
		}
	}
	g.Roll = uniform(rng, -0.05, 0.05)
	g.K1 = uniform(rng, -0.22, 0.02)
	g.Slack = uniform(rng, 0.15, 0.55)
	g.Ground = []string{"concrete", "asphalt", "dirt"}[rng.Intn(3)]
	g.Hoarding = []Vec3{srgb(40, 90, 160), srgb(30, 120, 70), srgb(200, 200, 195), srgb(60, 110, 150)}[rng.Intn(4)]
	g.JPEGQuality = 70 + rng.Intn(23)
	g.NoiseScale = uniform(rng, 0.6, 1.6)
	g.OSD = rng.Intn(4) > 0
	fill := uniform(rng, 0.6, 0.86)
	if view == Side {
		fill = uniform(rng, 0.55, 0.8)
	}
	g.Focal = 1
	// The installer zooms until the bed fills the frame, then backs off if any corner falls out.
	pts := g.nominalPoints()
	cam := g.camera(16, 9)
	maxX, maxY := 1e-6, 1e-6
	for _, p := range pts {
		x, y, ok := cam.normalized(p)
		if !ok {
			continue
		}
		maxX = math.Max(maxX, math.Abs(x))
		maxY = math.Max(maxY, math.Abs(y))
	}
	g.Focal = math.Min(fill/(2*maxX), fill*(9.0/16)/(2*maxY))
	k1 := g.K1
	for i := 0; i < 40; i++ {
		g.K1 = lensK1(k1, g.Focal)
		if g.inside(16, 9, 0.03) {
			break
		}
		g.Focal *= 0.93
	}
	return g
}

// lensK1 limits the barrel so that it stays a monotonic map out to the frame's corners (a real
// wide lens is designed that way): |k1| r^2 <= 0.2 at the corner of a 16:9 frame and any
// narrower one.
func lensK1(k1, focal float64) float64 {
	rc2 := (0.25 + 0.25*(9.0/16)*(9.0/16)) / (focal * focal) * 1.3 // with room for 4:3
	return math.Max(k1, -0.2/rc2)
}

// nominalPoints are the corners a technician would enclose: the top of the side boards, and for a
// side view also the band above them where a heap shows.
func (g Gate) nominalPoints() []Vec3 {
	var pts []Vec3
	hs := []float64{nomTop}
	if g.View == Side {
		hs = append(hs, nomTop+heapBand)
	}
	for _, z := range hs {
		for _, c := range [][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			pts = append(pts, v3(c[0]*nomLen/2*1.04, c[1]*nomWid/2*1.06, z))
		}
	}
	return pts
}

func (g Gate) inside(w, h int, margin float64) bool {
	cam := g.camera(w, h)
	for _, p := range g.nominalPoints() {
		u, v, ok := cam.project(p)
		if !ok || u < margin || u > 1-margin || v < margin || v > 1-margin {
			return false
		}
	}
	return true
}

// Regions are the cover regions a technician would draw at this gate for a 16:9 stream.
func (g Gate) Regions() []Region { return g.RegionsFor(16, 9) }

// RegionsFor are the regions for a stream of the given aspect (w:h): `bed`, the outline of the
// top of a typical truck's side boards where trucks stop, and for a side view `above-bed`, the
// band from the boards to 0.9 m above them. They come from the gate's geometry, never from a frame.
func (g Gate) RegionsFor(w, h int) []Region {
	cam := g.camera(w, h)
	proj := func(pts []Vec3) [][2]float64 {
		var out [][2]float64
		for _, p := range pts {
			u, v, ok := cam.project(p)
			if !ok {
				continue
			}
			out = append(out, [2]float64{round3(clamp(u, 0, 1)), round3(clamp(v, 0, 1))})
		}
		return convexHull(out)
	}
	pts := g.nominalPoints()
	regs := []Region{{Name: "bed", Polygon: proj(pts[:4])}}
	if g.View == Side {
		regs = append(regs, Region{Name: "above-bed", Polygon: proj(pts)})
	}
	return regs
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// convexHull returns the hull of pts counter-clockwise in image terms (Andrew's monotone chain).
func convexHull(pts [][2]float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	p := append([][2]float64(nil), pts...)
	for i := 1; i < len(p); i++ { // insertion sort: few points
		for j := i; j > 0 && (p[j][0] < p[j-1][0] || (p[j][0] == p[j-1][0] && p[j][1] < p[j-1][1])); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	var hull [][2]float64
	for _, q := range p {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	lower := len(hull) + 1
	for i := len(p) - 2; i >= 0; i-- {
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p[i]) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p[i])
	}
	return hull[:len(hull)-1]
}

// camera is a pinhole with one radial distortion term.
type camera struct {
	pos, fwd, right, down Vec3
	f                     float64 // focal length in pixels of width
	w, h                  float64
	k1                    float64
}

func (g Gate) camera(w, h int) camera {
	fwd := g.Look.sub(g.Cam).norm()
	right := fwd.cross(v3(0, 0, 1))
	if right.length() < 1e-3 {
		right = v3(0, -1, 0)
	}
	right = right.norm()
	down := fwd.cross(right).norm()
	c, s := math.Cos(g.Roll), math.Sin(g.Roll)
	right, down = right.mul(c).add(down.mul(s)), down.mul(c).sub(right.mul(s))
	return camera{pos: g.Cam, fwd: fwd, right: right, down: down, f: g.Focal * float64(w), w: float64(w), h: float64(h), k1: g.K1}
}

// normalized is p's undistorted image-plane position (x right, y down); ok false behind the camera.
func (c camera) normalized(p Vec3) (x, y float64, ok bool) {
	d := p.sub(c.pos)
	z := d.dot(c.fwd)
	if z <= 0.05 {
		return 0, 0, false
	}
	return d.dot(c.right) / z, d.dot(c.down) / z, true
}

// project is p's frame-relative position (0..1) through the lens.
func (c camera) project(p Vec3) (u, v float64, ok bool) {
	x, y, ok := c.normalized(p)
	if !ok {
		return 0, 0, false
	}
	s := 1 + c.k1*(x*x+y*y)
	return (c.w/2 + c.f*x*s) / c.w, (c.h/2 + c.f*y*s) / c.h, true
}

// ray is the direction seen at pixel position (px, py).
func (c camera) ray(px, py float64) Vec3 {
	xd := (px - c.w/2) / c.f
	yd := (py - c.h/2) / c.f
	x, y := xd, yd
	if rd := math.Hypot(xd, yd); rd > 0 && c.k1 != 0 {
		// Newton on r + k1 r^3 = rd; the lens is kept monotonic over the frame (see lensK1)
		r := rd
		for i := 0; i < 8; i++ {
			r -= (r + c.k1*r*r*r - rd) / (1 + 3*c.k1*r*r)
		}
		x, y = xd*r/rd, yd*r/rd
	}
	return c.fwd.add(c.right.mul(x)).add(c.down.mul(y)).norm()
}
