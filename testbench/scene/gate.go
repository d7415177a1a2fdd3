package scene

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Gate is the geometry of one exit gate's camera: where it stands and how it looks at the
// truck's side. The zero Gate is the reference gate every picture used before gates existed
// (the camera square to the truck, at the height of its wheels), and draws exactly those
// pictures.
//
// A gate is a homography of the reference picture (the camera turned and tilted about its own
// centre, zoomed, its picture shifted) followed by radial lens distortion. Turning the camera
// along the truck is what a camera mounted off to one side sees; tilting it down is a camera
// mounted high.
type Gate struct {
	Name string
	// Yaw turns the camera along the truck, in degrees (±35): one end of the truck nearer.
	Yaw float64
	// Pitch tilts it, in degrees (positive: a camera mounted higher, looking down; ±20).
	Pitch float64
	// Roll is a crooked mount, in degrees (±5).
	Roll float64
	// Zoom is focal length over distance, relative to the reference gate (0 means 1); below 1
	// the truck is smaller and more of the gate shows, above 1 part of the truck leaves the
	// picture.
	Zoom float64
	// ShiftX and ShiftY move the stopped truck in the picture, as fractions of its width and
	// height.
	ShiftX, ShiftY float64
	// K1 is the lens's radial distortion (negative: barrel, as wide-angle lenses have).
	K1 float64
	// StopJitter is how far, as a fraction of the width, trucks stop from the mark (0: 0.03).
	StopJitter float64
	// Barrier is the share of pictures (0..1) with a barrier arm across the view.
	Barrier float64
}

// IsReference reports whether g draws the reference gate's geometry.
func (g Gate) IsReference() bool {
	return g.Yaw == 0 && g.Pitch == 0 && g.Roll == 0 && (g.Zoom == 0 || g.Zoom == 1) && g.ShiftX == 0 && g.ShiftY == 0 && g.K1 == 0
}

func (g Gate) zoom() float64 {
	if g.Zoom <= 0 {
		return 1
	}
	return g.Zoom
}

// String describes the gate in a few words.
func (g Gate) String() string {
	name := g.Name
	if name == "" {
		name = "reference"
	}
	return fmt.Sprintf("%s (yaw %+.0f°, pitch %+.0f°, roll %+.1f°, zoom %.2f, shift %+.2f/%+.2f, k1 %+.2f)", name, g.Yaw, g.Pitch, g.Roll, g.zoom(), g.ShiftX, g.ShiftY, g.K1)
}

// RandomGate draws a gate geometry from rng, named name: one a technician could have set up,
// the wheels band filling a good part of the picture.
func RandomGate(rng *rand.Rand, name string) Gate {
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	for {
		g := Gate{
			Name:       name,
			Yaw:        u(-28, 28),
			Pitch:      u(-5, 16),
			Roll:       u(-4, 4),
			Zoom:       u(0.72, 1.3),
			ShiftX:     u(-0.07, 0.07),
			ShiftY:     u(-0.08, 0.06),
			K1:         u(-0.22, 0.03),
			StopJitter: u(0.02, 0.06),
		}
		if rng.IntN(3) == 0 {
			g.Barrier = u(0.2, 0.6)
		}
		if a := polyArea(g.Regions()[0].Polygon); a >= 0.1 && a <= 0.4 {
			return g
		}
	}
}

// polyArea is the area of a polygon in relative coordinates.
func polyArea(p [][]float64) float64 {
	a := 0.0
	for i := range p {
		j := (i + 1) % len(p)
		a += p[i][0]*p[j][1] - p[j][0]*p[i][1]
	}
	return math.Abs(a) / 2
}

// Gates draws n gate geometries from seed, named prefix-0, prefix-1, ...; gates from different
// seeds differ.
func Gates(seed uint64, n int, prefix string) []Gate {
	rng := rand.New(rand.NewPCG(seed, 0x6a7e5))
	out := make([]Gate, n)
	for i := range out {
		out[i] = RandomGate(rng, fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

// view maps reference-picture coordinates (relative, 0..1) to the gate's picture and back, for
// a w×h picture.
type view struct {
	w, h   float64
	hom    [9]float64 // reference pixels to undistorted gate pixels
	inv    [9]float64
	k1     float64
	cx, cy float64 // the distortion's centre and scale, in pixels
	norm   float64
}

func (g Gate) view(w, h int) view {
	fw, fh := float64(w), float64(h)
	f0 := fw // focal length of the reference camera, in pixels (about 53° across)
	z := g.zoom()
	k0inv := [9]float64{1 / f0, 0, -fw / 2 / f0, 0, 1 / f0, -fh / 2 / f0, 0, 0, 1}
	k1 := [9]float64{f0 * z, 0, fw/2 + g.ShiftX*fw, 0, f0 * z, fh/2 + g.ShiftY*fh, 0, 0, 1}
	rad := math.Pi / 180
	ry := rot(1, g.Yaw*rad)
	rx := rot(0, g.Pitch*rad)
	rz := rot(2, g.Roll*rad)
	hom := mul3(k1, mul3(rz, mul3(rx, mul3(ry, k0inv))))
	return view{w: fw, h: fh, hom: hom, inv: inv3(hom), k1: g.K1, cx: fw / 2, cy: fh / 2, norm: math.Hypot(fw, fh) / 2}
}

// rot is the rotation by a about axis 0 (x), 1 (y) or 2 (z).
func rot(axis int, a float64) [9]float64 {
	c, s := math.Cos(a), math.Sin(a)
	switch axis {
	case 0:
		return [9]float64{1, 0, 0, 0, c, -s, 0, s, c}
	case 1:
		return [9]float64{c, 0, s, 0, 1, 0, -s, 0, c}
	}
	return [9]float64{c, -s, 0, s, c, 0, 0, 0, 1}
}

func mul3(a, b [9]float64) [9]float64 {
	var o [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				o[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return o
}

func inv3(m [9]float64) [9]float64 {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return [9]float64{(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det}
}

func apply(m [9]float64, x, y float64) (float64, float64) {
	d := m[6]*x + m[7]*y + m[8]
	return (m[0]*x + m[1]*y + m[2]) / d, (m[3]*x + m[4]*y + m[5]) / d
}

// distort maps an undistorted gate pixel to where the lens puts it.
func (v view) distort(u, w float64) (float64, float64) {
	nx, ny := (u-v.cx)/v.norm, (w-v.cy)/v.norm
	k := 1 + v.k1*(nx*nx+ny*ny)
	return v.cx + nx*k*v.norm, v.cy + ny*k*v.norm
}

// back maps a gate pixel to the reference pixel that shows there.
func (v view) back(u, w float64) (float64, float64) {
	dx, dy := (u-v.cx)/v.norm, (w-v.cy)/v.norm
	nx, ny := dx, dy
	for it := 0; it < 6; it++ { // invert the distortion by fixed-point iteration
		k := 1 + v.k1*(nx*nx+ny*ny)
		nx, ny = dx/k, dy/k
	}
	return apply(v.inv, v.cx+nx*v.norm, v.cy+ny*v.norm)
}

// Regions are the regions of interest a technician would draw at this gate: the reference
// regions (wheels and lower body of a truck stopped on the mark) as the gate's camera sees them,
// clipped to the picture. They depend on the gate only, never on one picture's truck.
func (g Gate) Regions() []Region {
	if g.IsReference() {
		return Regions
	}
	const w, h = 1600, 900
	v := g.view(w, h)
	out := make([]Region, 0, len(Regions))
	for _, r := range Regions {
		// Through the homography, then cut to the picture (a lens maps only what it sees),
		// then bent by the distortion, edges cut into pieces so that they bend.
		var flat [][2]float64
		for _, p := range r.Polygon {
			x, y := apply(v.hom, p[0]*(w-1), p[1]*(h-1))
			flat = append(flat, [2]float64{x / (w - 1), y / (h - 1)})
		}
		flat = clipUnit(flat)
		var pts [][2]float64
		n := len(flat)
		for i := 0; i < n; i++ {
			a, b := flat[i], flat[(i+1)%n]
			for k := 0; k < 4; k++ {
				t := float64(k) / 4
				x, y := v.distort((a[0]+(b[0]-a[0])*t)*(w-1), (a[1]+(b[1]-a[1])*t)*(h-1))
				pts = append(pts, [2]float64{x / (w - 1), y / (h - 1)})
			}
		}
		pts = clipUnit(pts)
		poly := make([][]float64, len(pts))
		for i, p := range pts {
			poly[i] = []float64{round4(p[0]), round4(p[1])}
		}
		out = append(out, Region{Name: r.Name, Polygon: poly})
	}
	return out
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// clipUnit clips a polygon to the unit square (Sutherland-Hodgman).
func clipUnit(pts [][2]float64) [][2]float64 {
	type edge struct {
		axis int
		v    float64
		keep func(float64) bool
	}
	edges := []edge{{0, 0, func(x float64) bool { return x >= 0 }}, {0, 1, func(x float64) bool { return x <= 1 }},
		{1, 0, func(x float64) bool { return x >= 0 }}, {1, 1, func(x float64) bool { return x <= 1 }}}
	for _, e := range edges {
		var out [][2]float64
		for i := range pts {
			a, b := pts[(i+len(pts)-1)%len(pts)], pts[i]
			ina, inb := e.keep(a[e.axis]), e.keep(b[e.axis])
			cross := func() [2]float64 {
				t := (e.v - a[e.axis]) / (b[e.axis] - a[e.axis])
				return [2]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			}
			switch {
			case ina && inb:
				out = append(out, b)
			case ina:
				out = append(out, cross())
			case inb:
				out = append(out, cross(), b)
			}
		}
		pts = out
		if len(pts) == 0 {
			break
		}
	}
	return pts
}
