package gatesim

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
)

// Road surfaces a gate's lane may have.
const (
	RoadConcrete = "concrete"
	RoadAsphalt  = "asphalt"
	RoadSteel    = "steel-plate" // the deck of a weighbridge
	RoadPatched  = "patched"
)

// Backgrounds behind the lane.
const (
	BackHoardingBlue  = "hoarding-blue"
	BackHoardingGreen = "hoarding-green"
	BackBrick         = "brick-wall"
	BackFence         = "mesh-fence"
	BackGatePosts     = "gate-posts"
	BackOpen          = "open"
)

// Gate is the fixed geometry of one exit camera and its lane. Lengths are metres, angles degrees.
// The world: X runs along the lane, Y is up, Z points across the lane toward the camera; the near
// side of a truck standing in the lane is the plane Z = 0 and the camera stands at X = 0.
type Gate struct {
	Name          string
	Width, Height int // the frame, pixels

	CamHeight  float64 // lens above the road
	CamDist    float64 // lens to the near side of a standing truck, across the lane
	Yaw        float64 // >0 turns the camera toward +X (along the lane)
	Pitch      float64 // >0 looks down
	Roll       float64 // a crooked mount
	HFOV       float64 // horizontal field of view of the pinhole, before the barrel warp
	Distortion float64 // barrel coefficient k (0 none, 0.3 a strong wide lens)

	StopX      float64 // where the centre of a standing truck is along the lane
	StopJitter float64 // how far (±) a truck stops from StopX
	LaneJitter float64 // how far (±) a truck stands from the lane line, sideways
	Facing     int     // +1: trucks drive toward +X; -1 toward -X

	Road       string  // RoadConcrete, ...
	RoadWet    float64 // 0 dry .. 1 standing water (a wash bay)
	Puddles    float64 // share of the road under puddles when wet
	Background string  // BackHoardingBlue, ...
	BackDist   float64 // from the far side of a truck to the wall or fence
	BackHeight float64 // of the wall, hoarding or fence

	Barrier      bool    // a barrier arm ahead of the standing truck
	BarrierAngle float64 // 0 down (across the lane) .. 90 raised
	Pole         bool    // a pole between the camera and the lane
	PoleX        float64
	PoleZ        float64 // between the lane (0) and the camera (CamDist)
	PersonRate   float64 // chance that a worker stands in view in a frame
	WashRail     bool    // the spray pipes of a wheel-wash platform run along the lane
	WashRailZ    float64 // how far from the truck's near side, toward the camera
}

// truckWidth is the width of every heavy truck body (GB 1589: at most 2.55 m).
const truckWidth = 2.5

// Validate says what is wrong with a gate, if anything.
func (g Gate) Validate() error {
	var bad []string
	if g.Width < 64 || g.Height < 64 {
		bad = append(bad, fmt.Sprintf("size %dx%d is too small", g.Width, g.Height))
	}
	if g.CamHeight <= 0.2 || g.CamDist <= 0.5 {
		bad = append(bad, "camera must stand above the road and beside the lane")
	}
	if g.HFOV < 10 || g.HFOV > 150 {
		bad = append(bad, fmt.Sprintf("hfov %.0f out of 10..150", g.HFOV))
	}
	if g.Facing != 1 && g.Facing != -1 {
		bad = append(bad, "facing must be +1 or -1")
	}
	if len(bad) > 0 {
		return fmt.Errorf("gate %s: %s", g.Name, strings.Join(bad, "; "))
	}
	return nil
}

// aimPitch is the pitch that puts a point at height y on the truck's side in the frame's centre.
func aimPitch(camHeight, camDist, yaw, y float64) float64 {
	horiz := camDist / math.Cos(rad(yaw))
	return math.Atan2(camHeight-y, horiz) * 180 / math.Pi
}

// NamedGates are fixed geometries that stand for kinds of real exits.
func NamedGates() []Gate {
	base := func(name string) Gate {
		return Gate{Name: name, Width: 1920, Height: 1080, Facing: 1, StopJitter: 0.6, LaneJitter: 0.25,
			BackDist: 3, BackHeight: 2.5}
	}
	a := base("washbay-low")
	a.CamHeight, a.CamDist, a.Yaw, a.HFOV, a.Distortion = 1.0, 3.6, 0, 78, 0.12
	a.Pitch = aimPitch(a.CamHeight, a.CamDist, a.Yaw, 0.7)
	a.StopX, a.Facing = -1.8, 1
	a.Road, a.RoadWet, a.Puddles, a.Background = RoadConcrete, 0.8, 0.4, BackHoardingBlue
	a.PersonRate = 0.15
	a.WashRail, a.WashRailZ = true, 0.7

	b := base("weighbridge-pole")
	b.CamHeight, b.CamDist, b.Yaw, b.HFOV, b.Distortion = 4.5, 6.5, 12, 62, 0.05
	b.Pitch = aimPitch(b.CamHeight, b.CamDist, b.Yaw, 1.0)
	b.StopX, b.Facing, b.StopJitter = 0.5, -1, 1.0
	b.Road, b.Background, b.BackDist = RoadSteel, BackFence, 4
	b.Pole, b.PoleX, b.PoleZ = true, 2.0, 3.2

	c := base("exit-wide")
	c.CamHeight, c.CamDist, c.Yaw, c.HFOV, c.Distortion = 3.0, 5.0, -22, 100, 0.28
	c.Pitch = aimPitch(c.CamHeight, c.CamDist, c.Yaw, 0.9)
	c.StopX, c.Facing = -3.2, -1
	c.Road, c.RoadWet, c.Background = RoadAsphalt, 0.3, BackGatePosts
	c.Barrier, c.BarrierAngle = true, 0
	c.PersonRate = 0.2

	d := base("hoarding-tele")
	d.CamHeight, d.CamDist, d.Yaw, d.HFOV, d.Distortion = 2.0, 9.0, 6, 34, 0
	d.Pitch = aimPitch(d.CamHeight, d.CamDist, d.Yaw, 0.8)
	d.StopX, d.Facing = 2.8, 1
	d.Road, d.Background, d.BackHeight = RoadPatched, BackHoardingGreen, 2.2
	return []Gate{a, b, c, d}
}

// RandomGate draws a plausible exit camera geometry.
func RandomGate(rng *rand.Rand) Gate {
	for try := 0; ; try++ {
		g := Gate{Width: 1920, Height: 1080}
		g.CamDist = 3 + rng.Float64()*6
		// a pole or wall mount, not steeper than a technician would aim at the wheels
		g.CamHeight = 0.8 + rng.Float64()*math.Min(4.4, 0.6*g.CamDist)
		g.HFOV = 35 + rng.Float64()*65
		g.Distortion = math.Max(0, (g.HFOV-45)/55*0.3*rng.Float64())
		g.Yaw = (rng.Float64()*2 - 1) * 30
		g.Pitch = aimPitch(g.CamHeight, g.CamDist, g.Yaw, 0.4+rng.Float64()*1.2) + rng.NormFloat64()*2
		g.Roll = rng.NormFloat64() * 1.2
		g.Facing = 1
		if rng.Intn(2) == 0 {
			g.Facing = -1
		}
		// the lane point the camera looks at, and a stop around it
		aimX := (g.CamDist) * math.Tan(rad(g.Yaw))
		g.StopX = aimX + (rng.Float64()*2-1)*3
		g.StopJitter = 0.3 + rng.Float64()*1.2
		g.LaneJitter = 0.1 + rng.Float64()*0.3
		g.Road = []string{RoadConcrete, RoadConcrete, RoadAsphalt, RoadSteel, RoadPatched}[rng.Intn(5)]
		if rng.Float64() < 0.5 {
			g.RoadWet = rng.Float64()
			g.Puddles = rng.Float64() * 0.5
		}
		g.Background = []string{BackHoardingBlue, BackHoardingGreen, BackBrick, BackFence, BackGatePosts, BackOpen}[rng.Intn(6)]
		g.BackDist = 1.5 + rng.Float64()*6
		g.BackHeight = 2 + rng.Float64()*1.5
		g.Barrier = rng.Float64() < 0.3
		g.BarrierAngle = []float64{0, 0, 45, 85}[rng.Intn(4)]
		g.Pole = rng.Float64() < 0.3
		g.PoleX = aimX + (rng.Float64()*2-1)*3
		g.PoleZ = g.CamDist * (0.3 + rng.Float64()*0.5)
		g.PersonRate = []float64{0, 0.1, 0.25}[rng.Intn(3)]
		if g.RoadWet > 0.5 && rng.Float64() < 0.5 {
			g.WashRail, g.WashRailZ = true, 0.5+rng.Float64()*0.4
		}
		// a technician points the camera so that at least two axles of a truck are in view
		if visibleAxles(g) >= 2 || try > 50 {
			g.Name = fmt.Sprintf("random-%04d", rng.Intn(10000))
			return g
		}
	}
}

// visibleAxles counts the axles of a standing 6x4 tipper whose wheel centre is in the frame.
func visibleAxles(g Gate) int {
	cam := newCamera(g)
	t := Truck{Kind: KindTipper6x4}
	sp := t.spec()
	n := 0
	for _, ax := range sp.axles {
		x := g.StopX + float64(g.Facing)*(ax.x-sp.length/2)
		p, _, ok := cam.project(vec3{x, sp.tyreR, 0})
		if !ok {
			continue
		}
		q := cam.toFrame(p)
		if q.X > 0.03*float64(g.Width) && q.X < 0.97*float64(g.Width) && q.Y > 0 && q.Y < float64(g.Height) {
			n++
		}
	}
	return n
}

// ROI is a region a technician draws, in frame coordinates relative to the frame (0..1).
type ROI struct {
	Name    string
	Polygon [][2]float64
}

// ROIs are the regions a technician would draw at this gate: the wheels' band and the lower body
// of a truck standing where trucks stand, with the slack by which their stops vary, over the
// lengths of every kind of truck. They do not follow any one frame's truck.
func (g Gate) ROIs() []ROI {
	cam := newCamera(g)
	half := 10.2/2 + g.StopJitter + 0.3
	xa, xb := g.StopX-half, g.StopX+half
	zNear := g.LaneJitter + 0.15
	band := func(name string, y0, y1 float64) ROI {
		var pts []pt
		const n = 40
		add := func(x, y, z float64) {
			p, _, ok := cam.project(vec3{x, y, z})
			if ok {
				pts = append(pts, cam.toFrame(p))
			}
		}
		for i := 0; i <= n; i++ {
			x := xa + (xb-xa)*float64(i)/n
			add(x, y0, zNear)
			add(x, y1, zNear)
			add(x, y0, -0.3)
			add(x, y1, -0.3)
		}
		poly := clipRect(hull(pts), 0, 0, float64(g.Width), float64(g.Height))
		poly = simplify(poly, 0.004*float64(g.Width))
		r := ROI{Name: name}
		for _, p := range poly {
			r.Polygon = append(r.Polygon, [2]float64{round3(p.X / float64(g.Width)), round3(p.Y / float64(g.Height))})
		}
		return r
	}
	return []ROI{band("wheels", -0.05, 1.25), band("lower-body", 1.0, 1.9)}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// clipRect clips a convex polygon to a rectangle (Sutherland-Hodgman).
func clipRect(p []pt, x0, y0, x1, y1 float64) []pt {
	type edge struct {
		in  func(pt) bool
		cut func(a, b pt) pt
	}
	edges := []edge{
		{func(q pt) bool { return q.X >= x0 }, func(a, b pt) pt { t := (x0 - a.X) / (b.X - a.X); return pt{x0, a.Y + t*(b.Y-a.Y)} }},
		{func(q pt) bool { return q.X <= x1 }, func(a, b pt) pt { t := (x1 - a.X) / (b.X - a.X); return pt{x1, a.Y + t*(b.Y-a.Y)} }},
		{func(q pt) bool { return q.Y >= y0 }, func(a, b pt) pt { t := (y0 - a.Y) / (b.Y - a.Y); return pt{a.X + t*(b.X-a.X), y0} }},
		{func(q pt) bool { return q.Y <= y1 }, func(a, b pt) pt { t := (y1 - a.Y) / (b.Y - a.Y); return pt{a.X + t*(b.X-a.X), y1} }},
	}
	for _, e := range edges {
		if len(p) == 0 {
			return p
		}
		var out []pt
		for i := range p {
			a, b := p[i], p[(i+1)%len(p)]
			ina, inb := e.in(a), e.in(b)
			if ina {
				out = append(out, a)
			}
			if ina != inb {
				out = append(out, e.cut(a, b))
			}
		}
		p = out
	}
	return p
}

// simplify drops the vertices of a closed polygon that lie within tol of the line through
// their neighbours, keeping a handful of corners a person would click.
func simplify(p []pt, tol float64) []pt {
	for changed := true; changed && len(p) > 4; {
		changed = false
		best, bi := math.Inf(1), -1
		for i := range p {
			a, b, c := p[(i+len(p)-1)%len(p)], p[i], p[(i+1)%len(p)]
			d := distToLine(b, a, c)
			if d < best {
				best, bi = d, i
			}
		}
		if best < tol {
			p = append(p[:bi:bi], p[bi+1:]...)
			changed = true
		}
	}
	return p
}

func distToLine(p, a, b pt) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return math.Hypot(p.X-a.X, p.Y-a.Y)
	}
	return math.Abs((p.X-a.X)*dy-(p.Y-a.Y)*dx) / l
}

// CameraYAML is the camera.yaml a technician would write for the gate.
func (g Gate) CameraYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gate %s: cam %.1f m high, %.1f m from the lane, yaw %.0f, pitch %.0f, hfov %.0f, k %.2f\n",
		g.Name, g.CamHeight, g.CamDist, g.Yaw, g.Pitch, g.HFOV, g.Distortion)
	b.WriteString("id: wheels\nrois:\n")
	for _, r := range g.ROIs() {
		fmt.Fprintf(&b, "  - name: %s\n    polygon: [", r.Name)
		for i, p := range r.Polygon {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[%.3f, %.3f]", p[0], p[1])
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
