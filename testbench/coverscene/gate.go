package coverscene

import (
	"fmt"
	"math"
	"math/rand/v2"

	"sitegate/models/mud"
)

// Views.
const (
	Above = "above" // a camera on a gantry over the lane, looking down on the bed
	Side  = "side"  // a camera on a pole beside the lane, high, looking over and along the bed
)

// Aspect is the frame aspect (width over height) the gates' regions are drawn for: 640x360 and
// 1920x1080 share it. Rendering at another aspect keeps the horizontal field of view.
const Aspect = 16.0 / 9.0

// Gate is the fixed geometry of one gate's cover camera and where trucks stand under it. The
// world is metres: X along the lane, Y up, Z across; the camera stands at X = Z = 0.
type Gate struct {
	// Seed is the seed RandomGate drew the gate from (0 for the reference gates).
	Seed int64
	// View is Above or Side.
	View string
	// Height of the camera above the road (m).
	Height float64
	// Pitch (degrees; negative looks down, -90 straight down), Yaw (degrees; 0 looks along
	// +X, the lane, 90 across it) and Roll (degrees, a crooked mount).
	Pitch, Yaw, Roll float64
	// Zoom is the focal length over the frame's width (0.8: a 64° horizontal field of view).
	Zoom float64
	// K1 is the radial lens distortion: positive is barrel (a wide-angle lens); the output
	// radius r (1 at the middle of the frame's longer edge) samples the pinhole radius
	// r(1 + K1 r²).
	K1 float64
	// TruckX and TruckZ are where the middle of a stopped truck's bed stands (m), and
	// Reverse that trucks drive toward -X (cab first at -X).
	TruckX, TruckZ float64
	Reverse        bool
	// Scale scales every truck's size (0.9..1.1: the trucks this site sees).
	Scale float64
	// Slack is how far trucks stop from the mark, along the lane (m, ±).
	Slack float64
	// Bars are gantry or pole parts in front of the camera (drawn out of focus).
	Bars []Bar
	// Dirt is how dirty the lens is (0 clean, 1 heavily spotted) and PersonRate the share of
	// pictures with a worker standing on the bed's edge.
	Dirt, PersonRate float64
}

// Bar is a straight occluder across the picture: a point on it (frame-relative), its angle
// (degrees) and its width (a fraction of the frame's height).
type Bar struct {
	X, Y, Angle, Width float64
}

// Name is the gate's name in labels.csv: the view and the seed.
func (g Gate) Name() string {
	if g.Seed == 0 {
		return g.View + "-ref"
	}
	return fmt.Sprintf("%s-%04d", g.View, g.Seed)
}

// String describes the geometry.
func (g Gate) String() string {
	return fmt.Sprintf("%s: camera %.1f m, pitch %.0f°, yaw %.0f°, roll %.1f°, zoom %.2f, k1 %.2f, truck at %.1f,%.1f m, scale %.2f",
		g.Name(), g.Height, g.Pitch, g.Yaw, g.Roll, g.Zoom, g.K1, g.TruckX, g.TruckZ, g.Scale)
}

// ReferenceGate is a plain, well set-up gate of the view: square to the lane, no distortion,
// the bed filling the middle of the picture.
func ReferenceGate(view string) Gate {
	if view == Side {
		g := Gate{View: Side, Height: 7, Pitch: -32, Yaw: 62, Zoom: 0.75, K1: 0.05, Scale: 1, Slack: 0.3}
		g.place(0, 0)
		return g
	}
	g := Gate{View: Above, Height: 8.2, Pitch: -90, Yaw: 90, Zoom: 0.62, K1: 0.08, Scale: 1, Slack: 0.3}
	g.place(0, 0)
	return g
}

// place puts the truck where the optical axis meets the bed's top, moved by (du, dv) metres
// along and across the lane.
func (g *Gate) place(du, dv float64) {
	c := g.camera(1, 1)
	const top = 2.6
	t := (top - g.Height) / c.f.y
	if c.f.y >= -0.05 {
		t = 8
	}
	p := c.o.add(c.f.mul(t))
	g.TruckX, g.TruckZ = p.x+du, p.z+dv
}

// RandomGate draws a gate geometry from seed: odd seeds look from above, even ones from the
// side. The bed fills a good part of the picture; some gates cut off part of the truck.
func RandomGate(seed int64) Gate {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6a7e))
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	g := Gate{Seed: seed, Scale: u(0.9, 1.1), Slack: u(0.15, 0.5), K1: u(-0.03, 0.3), Roll: u(-4, 4), Reverse: rng.IntN(2) == 0}
	if seed%2 != 0 {
		g.View = Above
		g.Height = u(7.2, 9.5)
		g.Pitch = -90 + u(0, 28)
		g.Yaw = u(-20, 20)
		if rng.IntN(3) == 0 {
			g.Yaw += 90
		}
	} else {
		g.View = Side
		g.Height = u(5.5, 9)
		g.Pitch = -u(22, 48)
		g.Yaw = u(25, 90)
		if rng.IntN(2) == 0 {
			g.Yaw = -g.Yaw
		}
	}
	// Zoom so that the bed's length spans 45..95% of the frame (more on "partial" gates).
	g.Zoom = 0.7
	g.place(0, 0)
	span := g.bedSpan()
	want := u(0.45, 0.9)
	if rng.IntN(6) == 0 {
		want = u(1.0, 1.25) // a long lens: part of the truck leaves the picture
	}
	if span > 0 {
		g.Zoom = clamp(g.Zoom*want/span, 0.3, 2.5)
	}
	g.place(u(-1, 1)*0.6, u(-1, 1)*0.3)
	if rng.IntN(3) == 0 {
		n := 1 + rng.IntN(2)
		for i := 0; i < n; i++ {
			b := Bar{X: u(0, 1), Y: u(0, 1), Angle: u(-20, 20), Width: u(0.03, 0.09)}
			// Near an edge, as a gantry's beam or a pole's arm is.
			if rng.IntN(2) == 0 {
				b.Y = []float64{u(0.02, 0.15), u(0.85, 0.98)}[rng.IntN(2)]
			} else {
				b.Angle += 90
				b.X = []float64{u(0.02, 0.12), u(0.88, 0.98)}[rng.IntN(2)]
			}
			g.Bars = append(g.Bars, b)
		}
	}
	if rng.IntN(3) == 0 {
		g.Dirt = u(0.2, 1)
	}
	if rng.IntN(3) == 0 {
		g.PersonRate = u(0.1, 0.3)
	}
	return g
}

// bedSpan is the bed's extent across the picture (its bounding box's larger side, frame
// widths) at the nominal stop.
func (g Gate) bedSpan() float64 {
	d := nominalDims(g)
	minX, maxX, minY, maxY := 9.0, -9.0, 9.0, -9.0
	for _, c := range [][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
		p, ok := g.project(g.toWorld(vec{c[0] * d.L / 2, d.top(), c[1] * d.W / 2}, 0, 0))
		if !ok {
			return 0
		}
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	return math.Max(maxX-minX, maxY-minY)
}

// FitGates are n gates for fitting and calibrating scorers: seeds 1..n.
func FitGates(n int) []Gate {
	out := make([]Gate, n)
	for i := range out {
		out[i] = RandomGate(int64(1 + i))
	}
	return out
}

// EvalGates are n gates for evaluation, never fitted on: seeds 2001...
func EvalGates(n int) []Gate {
	out := make([]Gate, n)
	for i := range out {
		out[i] = RandomGate(int64(2001 + i))
	}
	return out
}

// camera is a pinhole camera of a w×h frame in world coordinates.
type camera struct {
	o, f, r, u vec
	zoom, k1   float64
	aspect     float64
}

func (g Gate) camera(w, h int) camera {
	p, y, ro := g.Pitch*math.Pi/180, g.Yaw*math.Pi/180, g.Roll*math.Pi/180
	f := vec{math.Cos(p) * math.Cos(y), math.Sin(p), math.Cos(p) * math.Sin(y)}
	r := vec{-math.Sin(y), 0, math.Cos(y)}
	u := r.cross(f)
	r, u = r.mul(math.Cos(ro)).add(u.mul(math.Sin(ro))), u.mul(math.Cos(ro)).sub(r.mul(math.Sin(ro)))
	asp := Aspect
	if w > 1 && h > 1 {
		asp = float64(w) / float64(h)
	}
	return camera{o: vec{0, g.Height, 0}, f: f, r: r, u: u, zoom: g.Zoom, k1: g.K1, aspect: asp}
}

// ray is the direction through frame-relative point (fx, fy), 0..1 each.
func (c camera) ray(fx, fy float64) vec {
	sx, sy := fx-0.5, (fy-0.5)/c.aspect
	rr := (sx*sx + sy*sy) * 4
	k := 1 + c.k1*rr
	sx, sy = sx*k, sy*k
	return c.f.mul(c.zoom).add(c.r.mul(sx)).sub(c.u.mul(sy)).norm()
}

// project is where world point p shows, frame-relative (aspect Aspect); false behind the
// camera.
func (g Gate) project(p vec) ([2]float64, bool) {
	c := g.camera(0, 0)
	d := p.sub(c.o)
	zc := d.dot(c.f)
	if zc <= 0.05 {
		return [2]float64{}, false
	}
	sx, sy := c.zoom*d.dot(c.r)/zc, -c.zoom*d.dot(c.u)/zc
	ru := math.Sqrt(sx*sx+sy*sy) * 2
	if ru > 1e-9 && c.k1 != 0 {
		rd := ru
		for i := 0; i < 30; i++ {
			fv := rd + c.k1*rd*rd*rd - ru
			df := 1 + 3*c.k1*rd*rd
			if df <= 0.05 {
				break
			}
			rd -= fv / df
		}
		sx, sy = sx*rd/ru, sy*rd/ru
	}
	return [2]float64{sx + 0.5, sy*Aspect + 0.5}, true
}

// toWorld takes a point in truck coordinates (x along the truck toward its cab, z across,
// the bed's middle at the origin) to the world, the truck moved by (dx, dz) from its stop.
func (g Gate) toWorld(p vec, dx, dz float64) vec {
	if g.Reverse {
		p.x, p.z = -p.x, -p.z
	}
	return vec{p.x + g.TruckX + dx, p.y, p.z + g.TruckZ + dz}
}

// Regions are the regions a technician draws at this gate: the bed (its top, inside the side
// boards, a little inset for the stop's slack), and for side views the band above the side
// boards where a heap shows (`above-bed`). Both are clipped to the frame.
func (g Gate) Regions() []mud.Region {
	d := nominalDims(g)
	inL := math.Min(0.85, 1-2*g.Slack/d.L)
	var out []mud.Region
	top := d.top()
	var bed [][2]float64
	for _, c := range rectPath(d.L/2*inL, d.W/2*0.85) {
		if p, ok := g.project(g.toWorld(vec{c[0], top, c[1]}, 0, 0)); ok {
			bed = append(bed, p)
		}
	}
	if poly := clipUnit(bed); len(poly) >= 3 {
		out = append(out, mud.Region{Name: "bed", Polygon: round(poly)})
	}
	if g.View == Side {
		var band [][2]float64
		for _, c := range rectPath(d.L/2*inL, 0.4) {
			if p, ok := g.project(g.toWorld(vec{c[0], top + 0.45 + c[1], 0}, 0, 0)); ok {
				band = append(band, p)
			}
		}
		if poly := clipUnit(band); len(poly) >= 3 {
			out = append(out, mud.Region{Name: "above-bed", Polygon: round(poly)})
		}
	}
	return out
}

// rectPath is the rectangle ±a × ±b as its corners and edge midpoints, in order.
func rectPath(a, b float64) [][2]float64 {
	return [][2]float64{{-a, -b}, {0, -b}, {a, -b}, {a, 0}, {a, b}, {0, b}, {-a, b}, {-a, 0}}
}

func round(p [][2]float64) [][2]float64 {
	out := make([][2]float64, len(p))
	for i, q := range p {
		out[i] = [2]float64{math.Round(q[0]*1000) / 1000, math.Round(q[1]*1000) / 1000}
	}
	return out
}

// clipUnit clips a polygon to the unit square (Sutherland-Hodgman).
func clipUnit(poly [][2]float64) [][2]float64 {
	edges := []func(p [2]float64) float64{
		func(p [2]float64) float64 { return p[0] },
		func(p [2]float64) float64 { return 1 - p[0] },
		func(p [2]float64) float64 { return p[1] },
		func(p [2]float64) float64 { return 1 - p[1] },
	}
	for _, in := range edges {
		if len(poly) == 0 {
			return nil
		}
		var out [][2]float64
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			da, db := in(a), in(b)
			if da >= 0 {
				out = append(out, a)
			}
			if (da >= 0) != (db >= 0) {
				t := da / (da - db)
				out = append(out, [2]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t})
			}
		}
		poly = out
	}
	return poly
}
