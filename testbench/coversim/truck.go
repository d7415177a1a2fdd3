package coversim

import (
	"math"
	"math/rand"
)

// Surfaces a ray can end on.
const (
	matNone = iota
	matSky
	matGround
	matHoarding
	matCab
	matWallOuter
	matWallInner
	matWallTop
	matFloor
	matChassis
	matWheel
	matLoad
	matCover
)

// Cover kinds as drawn.
const (
	coverNone = iota
	coverTarp
	coverNet
	coverLid
)

type box struct {
	min, max Vec3
	mat      int
}

// truck is one frame's truck in its own frame: X forward, origin at the bed's centre on the
// ground. The interior between the side boards holds two height fields on one grid: the load and
// the cover (with a mask where the cover is).
type truck struct {
	origin       Vec3
	cosY, sinY   float64
	L, W, F, B   float64
	top, wall    float64
	paint        Vec3 // cab
	bedPaint     Vec3
	boxes        []box
	x0, y0, cell float64
	nx, ny       int
	load         []float64
	cov          []float64
	mask         []bool
	covKind      int
	covCol       Vec3
	covCol2      Vec3 // stripes of a striped tarp
	striped      bool
	netAlpha     float64
	ropeEvery    float64
	ropeCol      Vec3
	loadCol      Vec3
	zmax         float64
	seed         uint64
	loadKind     string
	lidRibs      float64
}

func (t *truck) toLocal(p Vec3) Vec3 {
	d := p.sub(t.origin)
	return Vec3{d.X*t.cosY + d.Y*t.sinY, -d.X*t.sinY + d.Y*t.cosY, d.Z}
}

func (t *truck) dirLocal(d Vec3) Vec3 {
	return Vec3{d.X*t.cosY + d.Y*t.sinY, -d.X*t.sinY + d.Y*t.cosY, d.Z}
}

func (t *truck) dirWorld(d Vec3) Vec3 {
	return Vec3{d.X*t.cosY - d.Y*t.sinY, d.X*t.sinY + d.Y*t.cosY, d.Z}
}

var paints = map[string]Vec3{
	"yellow": srgb(225, 175, 30),
	"green":  srgb(40, 130, 80),
	"red":    srgb(175, 35, 30),
	"blue":   srgb(35, 80, 150),
	"white":  srgb(215, 215, 210),
	"orange": srgb(220, 110, 30),
}

var coverColours = map[string]Vec3{
	"tarp-blue":   srgb(35, 85, 170),
	"tarp-green":  srgb(45, 115, 60),
	"tarp-orange": srgb(215, 115, 35),
	"tarp-grey":   srgb(125, 125, 122),
	"tarp-brown":  srgb(125, 98, 68),
	"net-green":   srgb(40, 125, 60),
	"net-black":   srgb(28, 30, 28),
}

func loadColour(rng *rand.Rand, load string) Vec3 {
	j := func(c Vec3) Vec3 {
		return c.hadamard(v3(uniform(rng, 0.8, 1.2), uniform(rng, 0.85, 1.15), uniform(rng, 0.8, 1.2)))
	}
	switch load {
	case "soil":
		return j([]Vec3{srgb(120, 92, 62), srgb(95, 75, 55), srgb(140, 110, 75), srgb(80, 62, 45)}[rng.Intn(4)])
	case "clay":
		return j([]Vec3{srgb(165, 110, 65), srgb(150, 85, 55), srgb(175, 140, 85)}[rng.Intn(3)])
	case "concrete":
		return j(srgb(150, 148, 140))
	case "brick":
		return j(srgb(160, 80, 55))
	case "gravel":
		return j(srgb(130, 125, 118))
	case "sand":
		return j([]Vec3{srgb(200, 175, 125), srgb(185, 160, 120)}[rng.Intn(2)])
	default: // spoil, none
		return j(srgb(115, 95, 72))
	}
}

// newTruck builds the frame's truck: size, stop position, paint, load and cover.
func newTruck(g Gate, s Spec, rng *rand.Rand) *truck {
	t := &truck{seed: rng.Uint64(), loadKind: s.Load}
	t.L = uniform(rng, 5.0, 6.8)
	t.W = uniform(rng, 2.25, 2.5)
	t.F = uniform(rng, 1.3, 1.55)
	t.B = uniform(rng, 1.0, 1.6)
	t.top = t.F + t.B
	t.wall = 0.05
	// Trucks stop with the cab's front near a line: a longer bed stands further back.
	dx := clamp(rng.NormFloat64(), -2.5, 2.5) * g.Slack
	cabFront := nomLen/2 + 2.6 + dx
	t.origin = v3(cabFront-2.6-t.L/2, clamp(rng.NormFloat64()*0.15, -0.4, 0.4), 0)
	yaw := clamp(rng.NormFloat64(), -2.5, 2.5) * 0.025
	t.cosY, t.sinY = math.Cos(yaw), math.Sin(yaw)
	t.paint = paints[s.Truck]
	if t.paint == (Vec3{}) {
		t.paint = paints["yellow"]
	}
	t.bedPaint = t.paint
	if rng.Intn(3) == 0 {
		t.bedPaint = []Vec3{srgb(110, 105, 100), srgb(200, 160, 40), srgb(70, 75, 80)}[rng.Intn(3)]
	}
	t.bedPaint = t.bedPaint.mul(uniform(rng, 0.65, 1.0)) // dust and age
	L, W, F, wl := t.L, t.W, t.F, t.wall
	t.boxes = []box{
		{v3(-L/2, W/2-wl, F), v3(L/2, W/2, t.top), matWallOuter},
		{v3(-L/2, -W/2, F), v3(L/2, -W/2+wl, t.top), matWallOuter},
		{v3(-L/2, -W/2, F), v3(-L/2+wl, W/2, t.top), matWallOuter},
		{v3(L/2-wl, -W/2, F), v3(L/2, W/2, t.top+0.3), matWallOuter},
		{v3(-L/2, -W/2, F-0.14), v3(L/2, W/2, F), matFloor},
		{v3(-L/2+0.3, -0.55, 0.6), v3(L/2+2.3, 0.55, F-0.14), matChassis},
		{v3(L/2+0.15, -1.22, 0.95), v3(L/2+2.45, 1.22, 3.15), matCab},
	}
	for _, ax := range []float64{-L/2 + 0.9, -L/2 + 2.25, L/2 + 1.6} {
		for _, sy := range []float64{1, -1} {
			y0, y1 := 0.55, 1.2
			t.boxes = append(t.boxes, box{v3(ax-0.52, math.Min(sy*y0, sy*y1), 0), v3(ax+0.52, math.Max(sy*y0, sy*y1), 1.05), matWheel})
		}
	}
	// The interior grid.
	t.cell = 0.04
	t.x0, t.y0 = -L/2+wl, -W/2+wl
	t.nx = int((L-2*wl)/t.cell) + 2
	t.ny = int((W-2*wl)/t.cell) + 2
	t.load = make([]float64, t.nx*t.ny)
	t.cov = make([]float64, t.nx*t.ny)
	t.mask = make([]bool, t.nx*t.ny)
	t.loadCol = loadColour(rng, s.Load)
	t.buildLoad(s, rng)
	t.buildCover(s, rng)
	t.zmax = t.top + 0.35
	for i := range t.load {
		t.zmax = math.Max(t.zmax, t.load[i]+0.05)
		if t.mask[i] {
			t.zmax = math.Max(t.zmax, t.cov[i]+0.05)
		}
	}
	return t
}

func (t *truck) gx(i int) float64 { return t.x0 + float64(i)*t.cell }
func (t *truck) gy(j int) float64 { return t.y0 + float64(j)*t.cell }

// buildLoad fills the load field: a base level, mounds where the loader's bucket dropped, or a
// heap standing above the boards at the angle of repose, plus the material's roughness.
func (t *truck) buildLoad(s Spec, rng *rand.Rand) {
	if s.Load == "none" {
		for i := range t.load {
			t.load[i] = t.F + 0.01 // residue on the floor
		}
		return
	}
	var peak, base float64
	type mound struct{ x, y, amp, sig float64 }
	var ms []mound
	heap := s.Label == Heaped
	switch {
	case heap:
		peak = t.top + uniform(rng, 0.3, 1.0)
		base = t.F + t.B*uniform(rng, 0.75, 0.97)
	case s.Variant == "low":
		base = t.F + t.B*uniform(rng, 0.25, 0.55)
		peak = base + uniform(rng, 0.05, 0.3)
	case s.Variant == "mound":
		base = t.F + t.B*uniform(rng, 0.45, 0.75)
		peak = t.top - uniform(rng, 0.03, 0.2)
	case s.Cover == "lid":
		base = t.F + t.B*uniform(rng, 0.6, 0.9)
		peak = t.top - uniform(rng, 0.05, 0.2)
	default:
		base = t.F + t.B*uniform(rng, 0.6, 0.92)
		peak = math.Min(t.top-0.03, base+uniform(rng, 0.05, 0.4))
	}
	if peak < base {
		peak = base + 0.02
	}
	n := 1 + rng.Intn(3)
	for k := 0; k < n; k++ {
		ms = append(ms, mound{
			x:   uniform(rng, -t.L/2+0.8, t.L/2-0.8),
			y:   uniform(rng, -t.W/4, t.W/4),
			amp: uniform(rng, 0.6, 1),
			sig: uniform(rng, 0.6, 1.3),
		})
	}
	slope := uniform(rng, 0.65, 0.95) // tan of the angle of repose
	rough := map[string]float64{"soil": 0.035, "clay": 0.05, "concrete": 0.1, "brick": 0.07, "gravel": 0.02, "sand": 0.01, "spoil": 0.06}[s.Load]
	maxv := -1.0
	for j := 0; j < t.ny; j++ {
		for i := 0; i < t.nx; i++ {
			x, y := t.gx(i), t.gy(j)
			v := 0.0
			for _, m := range ms {
				d := math.Hypot(x-m.x, y-m.y)
				if heap {
					v = math.Max(v, m.amp*(1-slope*d/(peak-base+1e-3)))
				} else {
					v += m.amp * math.Exp(-d*d/(2*m.sig*m.sig))
				}
			}
			t.load[j*t.nx+i] = v
			maxv = math.Max(maxv, v)
		}
	}
	for j := 0; j < t.ny; j++ {
		for i := 0; i < t.nx; i++ {
			k := j*t.nx + i
			x, y := t.gx(i), t.gy(j)
			h := base + (peak-base)*math.Max(0, t.load[k])/maxv
			h += rough * (t.loadBump(x, y) - 0.5)
			t.load[k] = clamp(h, t.F+0.02, t.zmaxLoad(heap))
		}
	}
}

func (t *truck) zmaxLoad(heap bool) float64 {
	if heap {
		return t.top + 1.2
	}
	return t.top - 0.01
}

// loadBump is the material's surface relief in 0..1.
func (t *truck) loadBump(x, y float64) float64 {
	switch t.loadKind {
	case "concrete", "brick", "spoil":
		sc := map[string]float64{"concrete": 4, "brick": 6, "spoil": 5}[t.loadKind]
		d1, _, id := cells(x*sc, y*sc, t.seed+11)
		return clamp(1-d1*1.2, 0, 1)*0.8 + 0.2*float64(id%5)/4
	case "clay":
		d1, _, _ := cells(x*5, y*5, t.seed+13)
		return clamp(1-d1, 0, 1)
	default:
		return fbm(x*3, y*3, t.seed+17, 3)
	}
}

// buildCover lays the cover: a tarp tied over the boards (sagging into a low load, over a heap),
// a dust net, or a sliding lid; then tears it, pulls it back, or leaves a lid ajar.
func (t *truck) buildCover(s Spec, rng *rand.Rand) {
	switch {
	case s.Cover == "" || s.Cover == "empty":
		t.covKind = coverNone
		return
	case s.Cover == "lid":
		t.covKind = coverLid
		t.covCol = t.paint
		if rng.Intn(2) == 0 {
			t.covCol = srgb(165, 168, 172)
		}
		t.lidRibs = uniform(rng, 0.3, 0.55)
	case s.Cover == "net-green" || s.Cover == "net-black":
		t.covKind = coverNet
		t.covCol = coverColours[s.Cover].mul(uniform(rng, 0.8, 1.15))
		t.netAlpha = uniform(rng, 0.5, 0.8)
	default:
		t.covKind = coverTarp
		t.covCol = coverColours[s.Cover].mul(uniform(rng, 0.75, 1.1))
		if s.Cover == "tarp-blue" && rng.Intn(3) == 0 {
			t.striped = true // the blue-white-red striped woven tarp
			t.covCol2 = srgb(220, 220, 215)
		}
		t.ropeEvery = uniform(rng, 0.7, 1.5)
		t.ropeCol = []Vec3{srgb(220, 200, 60), srgb(225, 225, 220), srgb(30, 30, 30), srgb(200, 60, 40)}[rng.Intn(4)]
	}
	arch := 0.0
	sag := uniform(rng, 0.03, 0.2)
	if t.covKind == coverLid {
		arch, sag = uniform(rng, 0, 0.15), 0
	}
	heap := s.Label == Heaped
	for j := 0; j < t.ny; j++ {
		for i := 0; i < t.nx; i++ {
			k := j*t.nx + i
			x, y := t.gx(i), t.gy(j)
			ey := 1 - math.Pow(2*y/t.W, 2)
			ex := 1 - math.Pow(2*x/t.L, 8)
			var h float64
			switch t.covKind {
			case coverLid:
				h = t.top + 0.06 + arch*ey
			case coverNet:
				h = math.Max(t.load[k]+0.02, t.top-sag*ey*ex)
			default:
				wr := 0.04 * (fbm(x*1.5, y*2.5, t.seed+23, 3) - 0.5)
				h = math.Max(t.load[k]+0.04, t.top-sag*ey*ex+wr)
			}
			t.cov[k] = h
			t.mask[k] = true
		}
	}
	// Damage, partial covers.
	switch s.Variant {
	case "holes", "net-torn":
		n := 1 + rng.Intn(3)
		type tear struct{ x, y, a, b, ang float64 }
		var ts []tear
		for k := 0; k < n; k++ {
			ts = append(ts, tear{uniform(rng, -t.L/2+0.5, t.L/2-0.5), uniform(rng, -t.W/3, t.W/3),
				uniform(rng, 0.35, 1.1), uniform(rng, 0.15, 0.5), uniform(rng, 0, math.Pi)})
		}
		for j := 0; j < t.ny; j++ {
			for i := 0; i < t.nx; i++ {
				x, y := t.gx(i), t.gy(j)
				for _, tr := range ts {
					dx, dy := x-tr.x, y-tr.y
					c, sn := math.Cos(tr.ang), math.Sin(tr.ang)
					u, v := dx*c+dy*sn, -dx*sn+dy*c
					r := (u*u)/(tr.a*tr.a) + (v*v)/(tr.b*tr.b)
					if r < 0.7+0.6*fbm(x*4, y*4, t.seed+31, 2) {
						t.mask[j*t.nx+i] = false
					}
				}
			}
		}
		// Ragged edges lift and flap.
		t.liftEdges(0.08)
	case "half-pulled", "half-lid", "lid-ajar":
		frac := uniform(rng, 0.3, 0.7)
		if s.Variant == "lid-ajar" {
			frac = uniform(rng, 0.25, 0.55)
		}
		fromFront := rng.Intn(3) > 0 || s.Cover == "lid" // lids slide to the front
		cut := -t.L/2 + frac*t.L
		if fromFront {
			cut = t.L/2 - frac*t.L
		}
		for j := 0; j < t.ny; j++ {
			for i := 0; i < t.nx; i++ {
				k := j*t.nx + i
				x := t.gx(i)
				covered := x <= cut
				if fromFront {
					covered = x >= cut
				}
				if !covered {
					t.mask[k] = false
					continue
				}
				d := math.Abs(x - cut)
				if t.covKind == coverLid {
					// stacked panels ride higher where the open part ends
					t.cov[k] = math.Max(t.cov[k], t.load[k]+0.04) + 0.12*smoothstep(0.6, 0, d)
				} else {
					// the pulled part bunches into a roll
					t.cov[k] += 0.18 * math.Exp(-d*d/(2*0.12*0.12))
				}
			}
		}
	case "side-pulled":
		cut := uniform(rng, -0.15, 0.3) * t.W
		flip := rng.Intn(2) == 0
		for j := 0; j < t.ny; j++ {
			for i := 0; i < t.nx; i++ {
				k := j*t.nx + i
				y := t.gy(j)
				if flip {
					y = -y
				}
				if y < cut {
					t.mask[k] = false
					continue
				}
				d := y - cut
				t.cov[k] += 0.15 * math.Exp(-d*d/(2*0.1*0.1))
			}
		}
	}
	if heap && t.covKind == coverLid {
		// a lid cannot sit lower than the heap under it
		for k := range t.cov {
			if t.mask[k] && t.cov[k] < t.load[k]+0.03 {
				t.cov[k] = t.load[k] + 0.03
			}
		}
	}
}

// liftEdges raises the cover near holes, as torn edges curl up.
func (t *truck) liftEdges(h float64) {
	out := append([]float64(nil), t.cov...)
	for j := 1; j < t.ny-1; j++ {
		for i := 1; i < t.nx-1; i++ {
			k := j*t.nx + i
			if !t.mask[k] {
				continue
			}
			if !t.mask[k-1] || !t.mask[k+1] || !t.mask[k-t.nx] || !t.mask[k+t.nx] {
				out[k] += h
			}
		}
	}
	t.cov = out
}

// sample is the bilinear value of field f at local (x, y), clamped to the grid.
func (t *truck) sample(f []float64, x, y float64) float64 {
	fx := clamp((x-t.x0)/t.cell, 0, float64(t.nx-1)-1e-6)
	fy := clamp((y-t.y0)/t.cell, 0, float64(t.ny-1)-1e-6)
	i, j := int(fx), int(fy)
	tx, ty := fx-float64(i), fy-float64(j)
	k := j*t.nx + i
	return (f[k]*(1-tx)+f[k+1]*tx)*(1-ty) + (f[k+t.nx]*(1-tx)+f[k+t.nx+1]*tx)*ty
}

func (t *truck) covered(x, y float64) bool {
	i := int(math.Round(clamp((x-t.x0)/t.cell, 0, float64(t.nx-1))))
	j := int(math.Round(clamp((y-t.y0)/t.cell, 0, float64(t.ny-1))))
	return t.mask[j*t.nx+i]
}

func (t *truck) normalOf(f []float64, x, y float64) Vec3 {
	e := t.cell
	dx := (t.sample(f, x+e, y) - t.sample(f, x-e, y)) / (2 * e)
	dy := (t.sample(f, x, y+e) - t.sample(f, x, y-e)) / (2 * e)
	return v3(-dx, -dy, 1).norm()
}
