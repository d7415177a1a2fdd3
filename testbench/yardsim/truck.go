package yardsim

import (
	"math"
	"math/rand/v2"
)

// material says how a surface of the truck is shaded.
type material int

const (
	matPaint material = iota
	matGlass
	matDark  // chassis, plastic, rubber guards
	matMetal // steel, aluminium, chrome
	matLamp
	matLoad // cargo on a flatbed: timber, steel, pallets
)

type shape int

const (
	shRect shape = iota
	shEllipse
	shPoly
)

// part is one flat piece of the truck's near side, in side-plane coordinates (x along the road,
// z up).
type part struct {
	sh             shape
	x0, z0, x1, z1 float64
	poly           [][2]float64
	mat            material
	col            rgb
	stripes        float64 // >0: mixer-drum helical stripes of this period
	stripeCol      rgb
}

func (p *part) contains(x, z float64) bool {
	if x < p.x0 || x > p.x1 || z < p.z0 || z > p.z1 {
		return false
	}
	switch p.sh {
	case shEllipse:
		cx, cz := (p.x0+p.x1)/2, (p.z0+p.z1)/2
		ax, az := (p.x1-p.x0)/2, (p.z1-p.z0)/2
		dx, dz := (x-cx)/ax, (z-cz)/az
		return dx*dx+dz*dz <= 1
	case shPoly:
		in := false
		n := len(p.poly)
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			xi, zi := p.poly[i][0], p.poly[i][1]
			xj, zj := p.poly[j][0], p.poly[j][1]
			if (zi > z) != (zj > z) && x < (xj-xi)*(z-zi)/(zj-zi)+xi {
				in = !in
			}
		}
		return in
	}
	return true
}

func rectPart(x0, z0, x1, z1 float64, m material, c rgb) part {
	return part{sh: shRect, x0: x0, z0: z0, x1: x1, z1: z1, mat: m, col: c}
}

func polyPart(pts [][2]float64, m material, c rgb) part {
	p := part{sh: shPoly, poly: pts, mat: m, col: c, x0: math.Inf(1), z0: math.Inf(1), x1: math.Inf(-1), z1: math.Inf(-1)}
	for _, q := range pts {
		p.x0, p.x1 = math.Min(p.x0, q[0]), math.Max(p.x1, q[0])
		p.z0, p.z1 = math.Min(p.z0, q[1]), math.Max(p.z1, q[1])
	}
	return p
}

// wheel is one wheel on the near side.
type wheel struct {
	x, r, rimR float64
	tyre, rim  rgb
	hub        rgb
	style      int // 0 steel disc with holes, 1 spoked, 2 alloy disc, 3 deep dish with nuts only
	holes      int
	phase      float64
	dual       bool // twin tyres: a visible inner ring
}

// truck is the vehicle standing at the gate.
type truck struct {
	kind        string
	front, rear float64 // x of the front and rear faces
	near, width float64 // y of the near side, width
	height      float64
	cabTop      float64
	frontZ0     float64
	paint       rgb // cab paint
	parts       []part
	wheels      []wheel
	// ageing of the paint: grime and rust, independent of mud
	grime, rust float64
	seed        uint64
}

var kinds = []string{"dump-2", "dump-3", "dump-4", "mixer", "flatbed", "tanker", "van", "box"}

// paintColour draws a paint: any hue, with extra weight on the earth colours mud can be mistaken for.
func paintColour(r *rand.Rand) rgb {
	switch r.IntN(10) {
	case 0, 1:
		return hsv(uni(r, 0, 360), uni(r, 0, 0.08), uni(r, 0.78, 0.96)) // white
	case 2:
		return hsv(uni(r, 15, 35), uni(r, 0.45, 0.8), uni(r, 0.25, 0.55)) // brown
	case 3:
		return hsv(uni(r, 18, 38), uni(r, 0.7, 1), uni(r, 0.75, 0.98)) // orange
	case 4:
		return hsv(uni(r, 350, 370), uni(r, 0.6, 0.95), uni(r, 0.45, 0.9)) // red
	case 5:
		return hsv(uni(r, 42, 58), uni(r, 0.6, 1), uni(r, 0.75, 0.98)) // yellow
	case 6:
		return hsv(uni(r, 30, 48), uni(r, 0.15, 0.38), uni(r, 0.6, 0.85)) // beige
	case 7:
		return hsv(uni(r, 0, 360), uni(r, 0, 0.1), uni(r, 0.12, 0.6)) // black to grey
	default:
		return hsv(uni(r, 0, 360), uni(r, 0.3, 0.95), uni(r, 0.25, 0.9)) // anything
	}
}

func tyreWheel(r *rand.Rand, x, radius float64, dual bool, w *wheel) wheel {
	if w != nil {
		c := *w
		c.x, c.dual, c.phase = x, dual, uni(r, 0, 2*math.Pi)
		return c
	}
	rims := []rgb{
		hsv(0, 0, uni(r, 0.6, 0.85)),                            // silver
		hsv(0, 0, uni(r, 0.85, 0.95)),                           // white steel
		hsv(0, 0, uni(r, 0.08, 0.2)),                            // black
		hsv(uni(r, 0, 20), uni(r, 0.6, 0.9), uni(r, 0.4, 0.7)),  // red-painted steel
		hsv(uni(r, 40, 55), uni(r, 0.3, 0.6), uni(r, 0.5, 0.8)), // yellowed or gold
	}
	rim := rims[r.IntN(len(rims))]
	return wheel{
		x: x, r: radius, rimR: radius * uni(r, 0.5, 0.66),
		tyre:  hsv(uni(r, 0, 40), uni(r, 0, 0.1), uni(r, 0.06, 0.16)),
		rim:   rim,
		hub:   mix(rim, rgb{0.3, 0.3, 0.3}, uni(r, 0, 0.7)),
		style: r.IntN(4), holes: 5 + r.IntN(6), phase: uni(r, 0, 2*math.Pi), dual: dual,
	}
}

// newTruck builds a truck of the kind whose front face stands at x=front, near side at y=near.
func newTruck(r *rand.Rand, kind string, front, near float64) truck {
	t := truck{kind: kind, front: front, near: near, width: uni(r, 2.3, 2.55), seed: r.Uint64()}
	t.paint = paintColour(r)
	body := t.paint
	if chance(r, 0.55) {
		body = paintColour(r)
	}
	dark := hsv(0, 0, uni(r, 0.05, 0.16))
	metal := hsv(uni(r, 0, 360), uni(r, 0, 0.05), uni(r, 0.5, 0.8))
	glass := hsv(uni(r, 190, 230), uni(r, 0.1, 0.3), uni(r, 0.1, 0.3))
	if chance(r, 0.3) {
		t.grime = uni(r, 0.2, 0.8)
	}
	if chance(r, 0.2) {
		t.rust = uni(r, 0.2, 0.8)
	}
	tr := uni(r, 0.47, 0.55) // truck tyre radius
	var axles []float64      // distances of the axles behind the front face
	length := 0.0
	cabLen := uni(r, 1.9, 2.4)
	cabTop := uni(r, 2.8, 3.5)
	cabBot := uni(r, 0.5, 0.75)
	switch kind {
	case "dump-2":
		length = uni(r, 6.2, 7.5)
		axles = []float64{uni(r, 1.2, 1.5), length - uni(r, 1.4, 1.9)}
	case "dump-3":
		length = uni(r, 7.5, 9)
		ra := length - uni(r, 1.2, 1.6)
		axles = []float64{uni(r, 1.2, 1.5), ra - 1.35, ra}
	case "dump-4", "mixer":
		length = uni(r, 8.5, 10)
		ra := length - uni(r, 1.1, 1.5)
		f := uni(r, 1.2, 1.5)
		axles = []float64{f, f + uni(r, 1.7, 2.0), ra - 1.35, ra}
		if kind == "mixer" && chance(r, 0.5) {
			axles = []float64{f, ra - 1.35, ra}
		}
	case "flatbed", "tanker":
		length = uni(r, 7, 10)
		ra := length - uni(r, 1.3, 2)
		axles = []float64{uni(r, 1.2, 1.5), ra - 1.35, ra}
		if chance(r, 0.4) {
			axles = axles[:2]
			axles[1] = ra
		}
	case "van":
		length = uni(r, 5, 6.8)
		tr = uni(r, 0.32, 0.38)
		axles = []float64{uni(r, 0.85, 1.0), length - uni(r, 1.0, 1.3)}
		cabTop = uni(r, 2.1, 2.8)
		cabBot = uni(r, 0.3, 0.42)
	default: // box
		length = uni(r, 6, 9)
		tr = uni(r, 0.42, 0.52)
		axles = []float64{uni(r, 1.1, 1.4), length - uni(r, 1.5, 2.2)}
	}
	t.rear = front - length
	t.cabTop = cabTop
	t.frontZ0 = cabBot
	t.height = cabTop
	cf, cr := front, front-cabLen
	chZ := uni(r, 0.75, 1.0)

	// chassis rail and underrun from cab to rear
	t.parts = append(t.parts, rectPart(t.rear+0.2, chZ, cr, chZ+uni(r, 0.2, 0.3), matDark, dark))
	if kind != "van" {
		// fuel tank between front and next axle
		ta := front - axles[0] - tr - 0.2
		t.parts = append(t.parts, rectPart(ta-uni(r, 0.7, 1.1), uni(r, 0.5, 0.6), ta, uni(r, 1.0, 1.15), matMetal, metal))
		if chance(r, 0.5) { // side guard rails
			for _, z := range []float64{0.55, 0.8} {
				t.parts = append(t.parts, rectPart(t.rear+1, z, cr-0.3, z+0.07, matMetal, metal.scale(0.8)))
			}
		}
	}
	switch kind {
	case "dump-2", "dump-3", "dump-4":
		bz0 := chZ + 0.25
		bz1 := bz0 + uni(r, 1.1, 1.7)
		t.parts = append(t.parts, polyPart([][2]float64{{t.rear, bz0}, {cr - 0.25, bz0 + 0.15}, {cr - 0.15, bz1}, {t.rear - 0.15, bz1}}, matPaint, body))
		t.parts = append(t.parts, rectPart(t.rear-0.15, bz1-0.12, cr-0.15, bz1, matPaint, body.scale(0.8)))
		for i := 1; i < 5; i++ { // box ribs
			x := t.rear + float64(i)*(cr-0.25-t.rear)/5
			t.parts = append(t.parts, rectPart(x-0.05, bz0+0.1, x+0.05, bz1-0.12, matPaint, body.scale(0.85)))
		}
		t.height = math.Max(cabTop, bz1)
	case "mixer":
		cx, cz := (t.rear+cr)/2-0.2, chZ+1.35
		a, b := (cr-t.rear)/2+0.1, uni(r, 1.0, 1.2)
		tilt := uni(r, 0.12, 0.22)
		var pts [][2]float64
		for i := 0; i < 48; i++ {
			th := float64(i) / 48 * 2 * math.Pi
			x, z := a*math.Cos(th), b*math.Sin(th)
			if x < 0 {
				z *= 0.75 // the drum narrows towards its open rear end
			}
			pts = append(pts, [2]float64{cx + x*math.Cos(tilt) - z*math.Sin(-tilt), cz + x*math.Sin(-tilt) + z*math.Cos(tilt)})
		}
		d := polyPart(pts, matPaint, body)
		if chance(r, 0.6) {
			d.stripes = uni(r, 0.8, 1.6)
			d.stripeCol = paintColour(r)
		}
		t.parts = append(t.parts, d)
		t.height = math.Max(cabTop, d.z1)
	case "flatbed":
		dz := chZ + uni(r, 0.25, 0.4)
		t.parts = append(t.parts, rectPart(t.rear, dz, cr-0.1, dz+0.18, matPaint, body))
		if chance(r, 0.7) {
			loads := []rgb{hsv(uni(r, 25, 40), uni(r, 0.3, 0.6), uni(r, 0.4, 0.7)), metal.scale(0.7), hsv(uni(r, 0, 360), uni(r, 0.2, 0.8), uni(r, 0.3, 0.8))}
			lc := loads[r.IntN(len(loads))]
			x0 := t.rear + uni(r, 0, 1.5)
			x1 := cr - uni(r, 0.3, 2)
			p := rectPart(x0, dz+0.18, math.Max(x0+0.5, x1), dz+0.18+uni(r, 0.3, 1.4), matLoad, lc)
			t.parts = append(t.parts, p)
			t.height = math.Max(cabTop, p.z1)
		}
	case "tanker":
		z0 := chZ + 0.2
		z1 := z0 + uni(r, 1.6, 2.0)
		x0, x1 := t.rear+0.1, cr-0.3
		tc := body
		if chance(r, 0.4) {
			tc = metal.scale(1.15)
		}
		h := (z1 - z0) / 2
		t.parts = append(t.parts, rectPart(x0+h*0.6, z0, x1-h*0.6, z1, matPaint, tc),
			part{sh: shEllipse, x0: x0, z0: z0, x1: x0 + 1.2*h, z1: z1, mat: matPaint, col: tc},
			part{sh: shEllipse, x0: x1 - 1.2*h, z0: z0, x1: x1, z1: z1, mat: matPaint, col: tc})
		for i := 1; i < 4; i++ {
			x := x0 + float64(i)*(x1-x0)/4
			t.parts = append(t.parts, rectPart(x-0.04, z0, x+0.04, z1, matMetal, metal))
		}
		t.height = math.Max(cabTop, z1)
	case "box":
		bz0 := chZ + 0.2
		bz1 := uni(r, 3.2, 3.9)
		t.parts = append(t.parts, rectPart(t.rear, bz0, cr-0.1, bz1, matPaint, body))
		if chance(r, 0.5) {
			t.parts = append(t.parts, rectPart(t.rear+0.5, bz0+0.6, cr-0.6, bz0+uni(r, 0.9, 1.6), matPaint, paintColour(r)))
		}
		t.height = math.Max(cabTop, bz1)
	}
	// cab (the van's cab is its whole body)
	if kind == "van" {
		t.parts = append(t.parts, polyPart([][2]float64{{t.rear, cabBot}, {front, cabBot}, {front, cabTop * 0.55}, {front - 0.7, cabTop}, {t.rear, cabTop}}, matPaint, t.paint))
		t.parts = append(t.parts, polyPart([][2]float64{{front - 1.6, cabTop * 0.6}, {front - 0.25, cabTop * 0.6}, {front - 0.75, cabTop * 0.93}, {front - 1.6, cabTop * 0.93}}, matGlass, glass))
		if chance(r, 0.5) {
			t.parts = append(t.parts, rectPart(t.rear+0.6, cabTop*0.6, front-2.1, cabTop*0.9, matGlass, glass))
		}
	} else {
		t.parts = append(t.parts, rectPart(cr, cabBot, cf, cabTop, matPaint, t.paint))
		t.parts = append(t.parts, rectPart(cr+0.15, cabTop*0.62, cf-0.12, cabTop-0.18, matGlass, glass))
		t.parts = append(t.parts, rectPart(cr+0.2, cabBot+0.05, cr+0.7, cabBot+0.35, matDark, dark)) // step
		t.parts = append(t.parts, rectPart(cr+0.9, cabTop*0.55, cr+0.95, cabTop*0.6, matDark, dark)) // door handle
	}
	t.parts = append(t.parts, rectPart(front-0.35, cabBot, front, cabBot+0.3, matDark, dark)) // bumper corner
	t.parts = append(t.parts, rectPart(front-0.12, cabBot+0.35, front, cabBot+0.5, matLamp, rgb{1, 0.6, 0.1}))
	for i := 0; i < 3; i++ { // side markers
		x := uni(r, t.rear+0.3, cr-0.3)
		t.parts = append(t.parts, rectPart(x, chZ-0.05, x+0.08, chZ+0.03, matLamp, rgb{1, 0.55, 0.05}))
	}
	// wheels, arches and mudguards
	var proto *wheel
	for i, a := range axles {
		x := front - a
		dual := i > 0 && kind != "van" && chance(r, 0.85)
		w := tyreWheel(r, x, tr, dual, proto)
		if i == 0 || (proto != nil && chance(r, 0.15)) {
			w = tyreWheel(r, x, tr, dual, nil)
		}
		if i == 1 || (i == 0 && len(axles) == 1) {
			proto = &w
		}
		t.wheels = append(t.wheels, w)
		if i == 0 || kind == "van" {
			t.parts = append(t.parts, part{sh: shEllipse, x0: x - tr - 0.1, z0: -0.1, x1: x + tr + 0.1, z1: 2*tr + 0.1, mat: matDark, col: dark})
		} else {
			t.parts = append(t.parts, rectPart(x-tr-0.12, 2*tr+0.04, x+tr+0.12, 2*tr+0.14, matDark, dark))
		}
	}
	return t
}
