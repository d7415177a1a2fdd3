package coverscene

import (
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
)

// light is a picture's condition as the renderer uses it.
type light struct {
	name     string
	sun      vec // toward the sun (world), zero for none
	sunCol   vec
	sky      vec // ambient from the sky
	ir       bool
	irPower  float64
	rain     bool
	glare    float64
	key      float64 // auto exposure's target log-mean
	wetRoad  float64
	contrast float64
	noise    float64
}

func conditionLight(g Gate, cond string, rng *rand.Rand) light {
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	sunAt := func(el, az float64) vec {
		el, az = el*math.Pi/180, az*math.Pi/180
		return vec{math.Cos(el) * math.Cos(az), math.Sin(el), math.Cos(el) * math.Sin(az)}
	}
	l := light{name: cond, key: u(0.15, 0.22), contrast: 1}
	switch cond {
	case "dusk":
		l.sun = sunAt(u(2, 9), u(0, 360))
		l.sunCol = vec{1, 0.5, 0.25}.mul(u(0.4, 1.0))
		l.sky = vec{0.22, 0.25, 0.38}.mul(u(0.35, 0.6))
		l.key = u(0.07, 0.12)
		l.noise = u(0.015, 0.03)
	case "night-ir":
		l.ir = true
		l.irPower = u(60, 110)
		l.sky = vec{0.01, 0.01, 0.01}
		l.key = u(0.1, 0.16)
		l.noise = u(0.03, 0.07)
	case "rain":
		l.rain = true
		l.sky = vec{0.8, 0.83, 0.88}.mul(u(0.9, 1.3))
		l.wetRoad = u(0.6, 1)
		l.key = u(0.12, 0.17)
		l.contrast = u(0.75, 0.9)
		l.noise = u(0.008, 0.02)
	case "glare":
		// A low sun ahead of the camera.
		az := g.Yaw + u(-35, 35)
		if g.View == Above {
			az = u(0, 360)
		}
		l.sun = sunAt(u(6, 22), az)
		l.sunCol = vec{1, 0.9, 0.75}.mul(u(2.5, 3.5))
		l.sky = vec{0.6, 0.65, 0.75}.mul(0.8)
		l.glare = u(0.6, 1.6)
		l.contrast = u(0.7, 0.9)
	default:
		l.name = "day"
		l.sun = sunAt(u(25, 70), u(0, 360))
		l.sunCol = vec{1, 0.96, 0.88}.mul(u(2.6, 3.6))
		l.sky = vec{0.5, 0.6, 0.8}.mul(u(0.5, 0.8))
	}
	return l
}

// Render draws spec s at gate g, the details decided by seed, as a w×h picture, and the
// picture's label. It is a pure function of its arguments.
func Render(g Gate, s Spec, seed int64, w, h int) (*image.RGBA, Label) {
	img, lab, _ := render(g, s, seed, w, h, true)
	return img, lab
}

// scene is one picture being drawn.
type scene struct {
	g      Gate
	s      Spec
	w      *world
	cam    camera
	l      light
	dx, dz float64
	sgn    float64
	road   uint64
	laneZ  float64
	sunLoc vec
}

func (sc *scene) toLocal(p vec) vec {
	q := vec{p.x - sc.g.TruckX - sc.dx, p.y, p.z - sc.g.TruckZ - sc.dz}
	return vec{q.x * sc.sgn, q.y, q.z * sc.sgn}
}

func (sc *scene) dirLocal(d vec) vec { return vec{d.x * sc.sgn, d.y, d.z * sc.sgn} }

// render draws the picture; with effects false it leaves out the occluders, blur, glare, dirt
// and noise (tests look at what the geometry puts where). It also returns each pixel's kind.
func render(g Gate, s Spec, seed int64, W, H int, effects bool) (*image.RGBA, Label, []uint8) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc07e5ce))
	if W < 16 || H < 16 {
		W, H = 640, 360
	}
	wld := buildWorld(g, s, rng)
	sc := &scene{g: g, s: s, w: wld, cam: g.camera(W, H), l: conditionLight(g, s.Condition, rng), sgn: 1}
	if g.Reverse {
		sc.sgn = -1
	}
	if effects {
		sc.dx = (rng.Float64()*2 - 1) * g.Slack
		sc.dz = (rng.Float64()*2 - 1) * 0.15
	}
	sc.road = rng.Uint64()
	sc.laneZ = g.TruckZ
	sc.sunLoc = sc.dirLocal(sc.l.sun)
	buf := make([]vec, W*H)
	kinds := make([]uint8, W*H)
	var wg sync.WaitGroup
	workers := max(1, runtime.GOMAXPROCS(0))
	rows := make(chan int, H)
	for y := 0; y < H; y++ {
		rows <- y
	}
	close(rows)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := range rows {
				for x := 0; x < W; x++ {
					c, k := sc.pixel((float64(x)+0.5)/float64(W), (float64(y)+0.5)/float64(H), float64(W))
					buf[y*W+x], kinds[y*W+x] = c, k
				}
			}
		}()
	}
	wg.Wait()
	lab := Label{Label: s.Label, Condition: sc.l.name, View: g.View, Gate: g.Name(), Cover: s.Cover, Load: s.Load, Truck: s.Truck, Torn: s.Torn, Quality: s.Quality}
	lab.Hard = hardNames(g, s)
	post(sc, buf, W, H, rng, effects)
	return toRGBA(buf, W, H), lab, kinds
}

func hardNames(g Gate, s Spec) []string {
	var out []string
	switch s.Cover {
	case "tarp-brown", "tarp-orange":
		out = append(out, "soil-tarp")
	case "tarp-green":
		out = append(out, "green-tarp")
	case "empty":
		out = append(out, "empty-bed")
	}
	if s.Wet {
		out = append(out, "wet-tarp")
	}
	if s.LidOpen {
		out = append(out, "open-lid")
	}
	if s.Person {
		out = append(out, "person")
	}
	if len(g.Bars) > 0 {
		out = append(out, "gantry")
	}
	if g.Dirt > 0 {
		out = append(out, "lens-dirt")
	}
	return out
}

// pixel is the linear colour seen through frame point (fx, fy) and what it shows.
func (sc *scene) pixel(fx, fy, width float64) (vec, uint8) {
	d := sc.cam.ray(fx, fy)
	o := sc.cam.o
	lo, ld := sc.toLocal(o), sc.dirLocal(d)
	tg := math.Inf(1)
	if d.y < -1e-6 {
		tg = -o.y / d.y
	}
	if t, i, n, face, ok := sc.w.trace(lo, ld, tg); ok {
		p := lo.add(ld.mul(t))
		return sc.shadeTruck(p, n, face, i, ld, t, width), sc.w.k[i]
	}
	if math.IsInf(tg, 1) {
		return sc.skyCol(d), kNone
	}
	p := o.add(d.mul(tg))
	return sc.shadeRoad(p, d, tg), kNone
}

// trace marches ray o+t·d (truck coordinates) through the heightfield up to tmax: the hit's
// distance, cell, normal and whether it is a vertical face.
func (w *world) trace(o, d vec, tmax float64) (float64, int, vec, bool, bool) {
	t0, t1, ok := w.box(o, d)
	if !ok {
		return 0, 0, vec{}, false, false
	}
	t1 = math.Min(t1, tmax)
	const step = 0.02
	prev := -1
	for t := t0; t <= t1+step; t += step {
		p := o.add(d.mul(t))
		i, in := w.idx(p.x, p.z)
		if !in {
			prev = -1
			continue
		}
		if p.y <= float64(w.h[i]) {
			lo, hi := t-step, t
			for n := 0; n < 7; n++ {
				m := (lo + hi) / 2
				q := o.add(d.mul(m))
				if j, ok := w.idx(q.x, q.z); ok && q.y <= float64(w.h[j]) {
					hi = m
				} else {
					lo = m
				}
			}
			q := o.add(d.mul(hi))
			j, ok := w.idx(q.x, q.z)
			if !ok {
				j = i
			}
			pq := o.add(d.mul(lo))
			pj, pok := w.idx(pq.x, pq.z)
			if float64(w.h[j])-q.y > 0.012 && pok && pj != j {
				n := vec{}
				if pj%w.nx != j%w.nx {
					n.x = math.Copysign(1, float64(pj%w.nx-j%w.nx))
				} else {
					n.z = math.Copysign(1, float64(pj/w.nx-j/w.nx))
				}
				return hi, j, n, true, true
			}
			return hi, j, w.normal(j), false, true
		}
		prev = i
	}
	_ = prev
	return 0, 0, vec{}, false, false
}

// box intersects the ray with the heightfield's bounds.
func (w *world) box(o, d vec) (float64, float64, bool) {
	lo := vec{w.x0, 0, w.z0}
	hi := vec{w.x0 + float64(w.nx)*w.cell, w.hmax, w.z0 + float64(w.nz)*w.cell}
	t0, t1 := 0.0, math.Inf(1)
	for _, a := range [][3]float64{{o.x, d.x, 0}, {o.y, d.y, 1}, {o.z, d.z, 2}} {
		var l, h float64
		switch a[2] {
		case 0:
			l, h = lo.x, hi.x
		case 1:
			l, h = lo.y, hi.y
		default:
			l, h = lo.z, hi.z
		}
		if math.Abs(a[1]) < 1e-12 {
			if a[0] < l || a[0] > h {
				return 0, 0, false
			}
			continue
		}
		ta, tb := (l-a[0])/a[1], (h-a[0])/a[1]
		if ta > tb {
			ta, tb = tb, ta
		}
		t0, t1 = math.Max(t0, ta), math.Min(t1, tb)
	}
	return t0, t1, t0 <= t1
}

// normal is the top surface's normal at cell i, from neighbours of the same kind.
func (w *world) normal(i int) vec {
	ix, iz := i%w.nx, i/w.nx
	k := w.k[i]
	hAt := func(x, z int) (float64, bool) {
		if x < 0 || z < 0 || x >= w.nx || z >= w.nz {
			return 0, false
		}
		j := z*w.nx + x
		return float64(w.h[j]), w.k[j] == k
	}
	h0 := float64(w.h[i])
	grad := func(a, b float64, oka, okb bool) float64 {
		switch {
		case oka && okb:
			return (b - a) / (2 * w.cell)
		case okb:
			return (b - h0) / w.cell
		case oka:
			return (h0 - a) / w.cell
		}
		return 0
	}
	xa, oka := hAt(ix-1, iz)
	xb, okb := hAt(ix+1, iz)
	za, okc := hAt(ix, iz-1)
	zb, okd := hAt(ix, iz+1)
	gx, gz := clamp(grad(xa, xb, oka, okb), -4, 4), clamp(grad(za, zb, okc, okd), -4, 4)
	return vec{-gx, 1, -gz}.norm()
}

// occluded reports whether the sun is hidden from truck-coordinate point p.
func (w *world) occluded(p, l vec) bool {
	if l.y <= 0 {
		return true
	}
	t0, t1, ok := w.box(p, l)
	if !ok {
		return false
	}
	t0 = math.Max(t0, 0.05)
	for t := t0; t <= t1; t += 0.04 {
		q := p.add(l.mul(t))
		if q.y > w.hmax {
			return false
		}
		if i, ok := w.idx(q.x, q.z); ok && q.y < float64(w.h[i])-0.01 {
			return true
		}
	}
	return false
}

func (sc *scene) skyCol(d vec) vec {
	t := clamp(d.y*3, 0, 1)
	c := vec{0.7, 0.75, 0.85}.lerp(vec{0.35, 0.5, 0.8}, t)
	if sc.l.ir {
		return vec{0.01, 0.01, 0.01}
	}
	return c.hadamard(sc.l.sky).mul(1.3)
}

// lightAt lights a surface of albedo a at point p (world), normal n (world), seen along d.
func (sc *scene) lightAt(a vec, spec, shin float64, pLoc, n, d vec, t float64, shadowed func() bool) vec {
	l := sc.l
	if l.ir {
		// The camera's infrared lamp: light from the eye, falling with distance, brightest
		// in the middle of the picture.
		g := a.lum()
		ndl := math.Max(0, -n.dot(d))
		axis := d.dot(sc.cam.f)
		hot := 0.55 + 0.45*math.Pow(math.Max(0, axis), 8)
		e := l.irPower / (t * t) * hot
		v := g*e*ndl + spec*e*math.Pow(ndl, shin*2)*0.5 + g*0.02
		return vec{v, v, v}
	}
	up := 0.6 + 0.4*n.y
	c := a.hadamard(l.sky).mul(up)
	if l.sun.y > 0 {
		ndl := n.dot(l.sun)
		if ndl > 0 && !shadowed() {
			c = c.add(a.hadamard(l.sunCol).mul(ndl))
			hv := l.sun.sub(d).norm()
			if s := n.dot(hv); s > 0 && spec > 0 {
				c = c.add(l.sunCol.mul(spec * math.Pow(s, shin)))
			}
		}
	}
	if spec > 0 {
		// The sky's reflection (strong at grazing angles and on wet surfaces).
		fr := math.Pow(1-math.Max(0, -n.dot(d)), 4)
		c = c.add(l.sky.mul(spec * (0.15 + fr) * 0.8))
	}
	return c
}

func (sc *scene) shadeRoad(p, d vec, t float64) vec {
	seed := sc.road
	a := rgb(105, 103, 100).mul(0.75 + 0.4*fbm(seed, p.x*0.6, p.z*0.6, 3))
	a = a.mul(0.85 + 0.3*vnoise(seed+5, p.x*40, p.z*40))
	// Lane lines and joints.
	lz := math.Abs(p.z - sc.laneZ)
	if math.Abs(lz-2.1) < 0.08 {
		a = rgb(210, 205, 190).mul(0.7 + 0.3*vnoise(seed+7, p.x*3, p.z))
	}
	if math.Mod(math.Abs(p.x+100), 5.0) < 0.03 {
		a = a.mul(0.6)
	}
	// Soil tracked onto the road.
	if m := fbm(seed+11, p.x*0.3, p.z*0.5, 3); m > 0.55 {
		a = a.lerp(sc.w.soilCol.mul(0.8), clamp((m-0.55)*4, 0, 0.8))
	}
	spec := 0.0
	if sc.l.wetRoad > 0 {
		a = a.mul(1 - 0.45*sc.l.wetRoad)
		spec = 0.35 * sc.l.wetRoad
		if vnoise(seed+13, p.x*0.4, p.z*0.4) > 0.62 {
			spec = 0.9 // puddles
			a = a.mul(0.5)
		}
	}
	n := vec{0, 1, 0}
	pl := sc.toLocal(p)
	return sc.lightAt(a, spec, 60, pl, n, d, t, func() bool { return sc.w.occluded(pl, sc.sunLoc) })
}

// shadeTruck colours a hit on the truck: p, n in truck coordinates.
func (sc *scene) shadeTruck(p, n vec, face bool, i int, d vec, t, width float64) vec {
	w := sc.w
	k := w.k[i]
	dd := w.d

	seed := w.seed
	var a vec
	spec, shin := 0.0, 20.0
	footprint := t * 1.0 / (sc.g.Zoom * width) // metres per pixel
	ao := 1.0
	switch {
	case face && (k == kWall || k == kChassis || k == kCab || k == kBox || k == kTarp || k == kNet || k == kLid || k == kRoll):
		a, spec = sc.sideFace(p, n, k, footprint)
		if p.y < dd.Floor {
			ao = 0.5
		}
	case k == kCab:
		a, spec = w.cabCol.mul(0.9), 0.3
	case k == kChassis:
		a = rgb(35, 35, 38)
		ao = 0.6
	case k == kWall:
		a = w.bodyCol.mul(0.8+0.2*vnoise(seed+4, p.x*3, p.z*3)).lerp(w.soilCol, w.dirt*0.5)
		spec = 0.1
	case k == kFloor:
		a = rgb(95, 80, 70).mul(0.7 + 0.5*fbm(seed+6, p.x*2, p.z*2, 3))
		if fbm(seed+7, p.x*1.5, p.z*1.5, 2) > 0.6 {
			a = w.soilCol.mul(0.8)
		}
		ao = w.bedAO(p)
	case k == kLoad:
		a = w.loadAlbedo(p.x, p.z, footprint)
		ao = w.bedAO(p)
	case k == kTarp || k == kRoll:
		a, spec, shin = w.tarpAlbedo(p.x, p.z, footprint)
		if k == kRoll {
			a = a.mul(0.75 + 0.25*math.Sin(p.x*120))
		}
	case k == kNet:
		a = w.netAlbedo(p, footprint, sc.g, sc)
		ao = 0.9
	case k == kLid:
		a = w.lidCol.mul(0.85 + 0.15*vnoise(seed+8, p.x*2, p.z*2))
		if math.Mod(math.Abs(p.x+20), 0.5) < 0.03 || math.Abs(p.z) < 0.02 {
			a = a.mul(0.6)
		}
		a = a.lerp(w.soilCol, w.dirt*0.3)
		spec, shin = 0.35, 30
	case k == kBox:
		a = w.boxCol.mul(0.9 + 0.1*vnoise(seed+9, p.x, p.z))
		if math.Mod(math.Abs(p.x+20), 1.0) < 0.02 {
			a = a.mul(0.7)
		}
		spec, shin = 0.25, 25
	case k == kPerson:
		a = pick(rand.New(rand.NewPCG(seed, 3)), []vec{rgb(230, 200, 40), rgb(235, 235, 230), rgb(220, 60, 40)})
	}
	if sc.l.rain || sc.s.Wet {
		switch k {
		case kTarp, kRoll, kLid, kBox, kCab, kWall:
			spec, shin = math.Max(spec, 0.6), 50
			a = a.mul(0.8)
		case kLoad, kFloor:
			if sc.l.rain {
				a = a.mul(0.7)
				spec = 0.15
			}
		}
	}
	if sc.l.ir {
		a = irAlbedo(a, k, w.cover)
	}
	c := sc.lightAt(a.mul(ao), spec, shin, p, n, d, t, func() bool {
		return w.occluded(p.add(n.mul(0.03)), sc.sunLoc)
	})
	return c
}

// irAlbedo is what a near-infrared camera sees of a colour: dyes and paints reflect it more
// evenly than visible light, chlorophyll-like green dyes strongly.
func irAlbedo(a vec, k uint8, cover string) vec {
	g := 0.15 + 0.8*math.Sqrt(a.lum())
	if (k == kNet || k == kTarp) && strings.Contains(cover, "green") {
		g = math.Min(1, g+0.2)
	}
	g = g * g
	return vec{g, g, g}
}

func (w *world) bedAO(p vec) float64 {
	d := w.d
	dw := math.Min(d.W/2-math.Abs(p.z), d.L/2-math.Abs(p.x))
	depth := clamp((d.top()-p.y)/d.Side, 0, 1)
	return 1 - depth*0.55*math.Exp(-dw/0.5) - depth*0.25
}

// sideFace colours the vertical faces: side boards with their ribs, cover hanging over them,
// wheels and chassis below the bed, the cab's windows.
func (sc *scene) sideFace(p, n vec, k uint8, fp float64) (vec, float64) {
	w := sc.w
	d := w.d
	seed := w.seed
	outer := (n.z != 0 && n.z*p.z > 0) || (n.x != 0 && n.x*p.x > 0)
	if !outer && k != kCab {
		return rgb(85, 75, 68).mul(0.6 + 0.4*vnoise(seed+31, p.x*2, p.y*2)), 0
	}
	// Wheels on the long sides.
	if n.z != 0 {
		for _, ax := range w.axles {
			if r := math.Hypot(p.x-ax, p.y-w.wheelR); r < w.wheelR {
				if r < w.wheelR*0.55 {
					return rgb(150, 150, 150).mul(0.6 + 0.4*math.Abs(math.Sin(math.Atan2(p.y-w.wheelR, p.x-ax)*5))), 0.3
				}
				return rgb(22, 22, 24), 0.05
			}
		}
	}
	x := p.x
	switch {
	case k == kCab || x > d.L/2+d.Gap-0.01:
		if p.y < 1.1*sc.g.scale() {
			return rgb(30, 30, 32), 0
		}
		win := p.y > d.CabH*0.6 && p.y < d.CabH*0.9
		if n.x > 0 {
			win = win && math.Abs(p.z) < d.W/2-0.12
		} else if n.z != 0 {
			win = win && x > d.L/2+d.Gap+d.CabL*0.45 && x < d.L/2+d.Gap+d.CabL-0.15
		} else {
			win = false
		}
		if win {
			return rgb(25, 30, 38), 0.8
		}
		return w.cabCol, 0.3
	case p.y < d.Floor-0.05:
		if p.y > d.Floor-0.3 && k != kChassis {
			return rgb(40, 40, 42), 0.05 // the chassis rail
		}
		return rgb(14, 14, 16), 0
	}
	// Cover hanging over the side boards.
	if (k == kTarp || k == kRoll) && p.y > d.top()-w.drape {
		a, s, _ := w.tarpAlbedo(p.x, p.z+p.y, fp)
		return a.mul(0.9), s
	}
	if k == kNet && p.y > d.top()-w.drape*0.6 {
		return w.coverCol.mul(0.8), 0
	}
	if k == kBox {
		a := w.boxCol
		if p.y > d.Floor+0.6 && p.y < d.Floor+1.0 {
			a = w.bodyCol
		}
		return a, 0.2
	}
	a := w.bodyCol
	if math.Mod(math.Abs(x+20), 0.65) < 0.06 {
		a = a.mul(0.75) // stiffener ribs
	}
	m := fbm(seed+33, x*1.2, p.y*3, 3)
	a = a.lerp(w.soilCol, clamp(w.dirt*(1.6-(p.y-d.Floor)/d.Side)*m, 0, 0.9))
	return a, 0.15
}

func (w *world) loadAlbedo(x, z, fp float64) vec {
	s := w.seed
	c := w.loadCol
	switch w.loadKind {
	case "soil":
		f1, _, _ := worley(s+3, x*7, z*7)
		c = c.mul(0.7 + 0.45*fbm(s+40, x*3, z*3, 4)).mul(0.85 + 0.25*f1)
		if fbm(s+41, x*0.8, z*0.8, 2) > 0.62 {
			c = c.mul(0.7) // wetter patches
		}
	case "gravel":
		f1, f2, id := worley(s+3, x*30, z*30)
		v := 0.7 + 0.6*unit(id)
		tint := vec{0.95 + 0.1*unit(mix64(id)), 1, 0.95 + 0.1*unit(mix64(id+1))}
		stone := c.mul(v).hadamard(tint)
		if f2-f1 < 0.12 {
			stone = stone.mul(0.5)
		}
		c = stone.lerp(c.mul(0.85), clamp(fp*30-0.5, 0, 0.7))
		_ = f1
	case "concrete":
		f1, f2, id := worley(s+3, x*3.2, z*3.2)
		c = c.mul(0.8 + 0.35*unit(id)).mul(0.85 + 0.3*vnoise(s+42, x*20, z*20))
		if f2-f1 < 0.06 {
			c = c.mul(0.35) // gaps between the pieces
		}
		if unit(id>>7) < 0.15 {
			c = c.lerp(rgb(120, 70, 45), 0.5) // rebar rust and brick
		}
		if fbm(s+43, x, z, 2) > 0.6 {
			c = c.lerp(w.soilCol, 0.5)
		}
		_ = f1
	case "sand":
		c = c.mul(0.9 + 0.15*fbm(s+44, x*2, z*2, 3)).mul(0.93 + 0.14*vnoise(s+45, x*80, z*80))
	}
	return c
}

// tarpAlbedo is the cover's colour at (x, z): dirt, seams, ropes and straps.
func (w *world) tarpAlbedo(x, z, fp float64) (vec, float64, float64) {
	s := w.seed
	c := w.coverCol.mul(0.9 + 0.2*fbm(s+50, x*0.7, z*0.7, 3))
	if m := fbm(s+51, x*1.1, z*1.1, 4); m > 0.58-w.dirt*0.15 {
		c = c.lerp(w.soilCol, clamp((m-0.5)*2*w.dirt, 0, 0.7))
	}
	if math.Mod(math.Abs(z+10), 1.5) < 0.02 {
		c = c.mul(0.8) // seams
	}
	for _, rx := range w.ropes {
		half := 0.012
		if dx := math.Abs(x - rx - 0.05*math.Sin(z*2)); dx < math.Max(half, fp/2) {
			cov := clamp(2*half/math.Max(fp, 1e-4), 0, 1)
			c = c.lerp(w.ropeCol, cov)
		}
	}
	return c, 0.12, 12
}

// netAlbedo is a dust net over the load: strands hiding part of the load, which shows through.
func (w *world) netAlbedo(p vec, fp float64, g Gate, sc *scene) vec {
	under := w.loadAlbedo(p.x, p.z, fp).mul(0.55)
	if i, ok := w.idx(p.x, p.z); ok && w.k[i] == kNet && float64(w.load[i]) < w.d.Floor+0.05 {
		under = rgb(60, 55, 50)
	}
	m := w.netMesh
	q := 1 - math.Sqrt(1-w.netCover) // strand width share per direction
	fx, fz := math.Mod(math.Abs(p.x), m)/m, math.Mod(math.Abs(p.z), m)/m
	pat := 0.0
	if fx < q || fz < q {
		pat = 1
	}
	alpha := lerp(pat, w.netCover, clamp(fp/m, 0, 1))
	net := w.coverCol.mul(0.85 + 0.3*vnoise(w.seed+60, p.x*3, p.z*3))
	return under.lerp(net, alpha)
}

func toRGBA(buf []vec, W, H int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	q := func(v float64) uint8 { return uint8(clamp(math.Round(v*255), 0, 255)) }
	for i, c := range buf {
		img.Pix[i*4], img.Pix[i*4+1], img.Pix[i*4+2], img.Pix[i*4+3] = q(c.x), q(c.y), q(c.z), 255
	}
	return img
}
