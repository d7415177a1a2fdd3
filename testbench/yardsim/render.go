package yardsim

import (
	"math"
	"math/rand/v2"
)

// light is how the yard is lit in one frame.
type light struct {
	name     string
	amb      rgb     // sky light reaching every surface
	sun      rgb     // directional light; zero when none
	sunDir   vec     // towards the sun
	lamp     rgb     // a point lamp (night), zero when none
	lampPos  vec     //
	mono     bool    // infrared: the camera sees grey
	sky      rgb     // colour of the sky and of what puddles reflect
	haze     float64 // fog or dust density per metre
	hazeCol  rgb
	rain     bool
	snow     bool
	glare    bool
	exposure float64
}

func drawLight(r *rand.Rand, name string, cam vec) light {
	l := light{name: name, exposure: 1}
	sunAt := func(elev float64) vec {
		az := uni(r, 0, 2*math.Pi)
		return vec{math.Cos(az) * math.Cos(elev), math.Sin(az) * math.Cos(elev), math.Sin(elev)}
	}
	switch name {
	case "sun", "glare":
		l.amb = rgb{0.32, 0.35, 0.42}
		l.sun = rgb{1.0, 0.96, 0.88}.scale(uni(r, 0.8, 1.05))
		l.sunDir = sunAt(uni(r, 0.3, 1.1))
		if name == "glare" {
			l.sunDir = vec{uni(r, -0.4, 0.4), -uni(r, 0.5, 1), uni(r, 0.15, 0.4)}.norm() // low, in front of the camera
			l.glare = true
		}
		l.sky = rgb{0.55, 0.7, 0.92}
	case "overcast", "rain", "snow":
		g := uni(r, 0.55, 0.85)
		l.amb = rgb{g, g, g * 1.04}
		l.sky = rgb{0.78, 0.8, 0.83}
		l.rain = name == "rain"
		l.snow = name == "snow"
		if l.rain || l.snow {
			l.amb = l.amb.scale(0.8)
			l.haze = uni(r, 0.005, 0.03)
			l.hazeCol = rgb{0.7, 0.72, 0.75}
		}
	case "dusk":
		l.amb = rgb{0.2, 0.17, 0.2}.scale(uni(r, 0.7, 1.2))
		l.sun = rgb{1, 0.55, 0.25}.scale(uni(r, 0.4, 0.7))
		l.sunDir = sunAt(uni(r, 0.03, 0.2))
		l.sky = rgb{0.9, 0.55, 0.4}
	case "night-ir":
		l.amb = rgb{0.02, 0.02, 0.02}
		l.lamp = rgb{1, 1, 1}.scale(uni(r, 10, 30))
		l.lampPos = cam.add(vec{0, 0, 0.05})
		l.mono = true
		l.sky = rgb{0.02, 0.02, 0.02}
	case "night-led":
		l.amb = rgb{0.03, 0.03, 0.04}
		l.lamp = rgb{0.95, 0.97, 1}.scale(uni(r, 25, 70))
		l.lampPos = vec{uni(r, -4, 4), uni(r, 0, 3), uni(r, 4, 7)}
		l.sky = rgb{0.03, 0.03, 0.06}
	}
	return l
}

var lights = []string{"sun", "overcast", "dusk", "night-ir", "night-led", "rain", "glare", "snow"}

// mudSpec is how much mud the truck carries and what it looks like.
type mudSpec struct {
	level  float64 // 0 clean; light 0.25-0.5; heavy 0.65-1
	col    rgb
	wet    bool
	splash float64 // how high splashes reach, metres
	clods  []clod
}

type clod struct{ x, z, r float64 }

func mudColour(r *rand.Rand) rgb {
	switch r.IntN(5) {
	case 0:
		return hsv(uni(r, 18, 32), uni(r, 0.4, 0.7), uni(r, 0.18, 0.35)) // dark loam
	case 1:
		return hsv(uni(r, 25, 40), uni(r, 0.35, 0.6), uni(r, 0.35, 0.55)) // brown
	case 2:
		return hsv(uni(r, 35, 50), uni(r, 0.4, 0.65), uni(r, 0.45, 0.65)) // yellow clay
	case 3:
		return hsv(uni(r, 20, 45), uni(r, 0.08, 0.2), uni(r, 0.3, 0.5)) // grey clay
	default:
		return hsv(uni(r, 8, 20), uni(r, 0.5, 0.75), uni(r, 0.25, 0.45)) // red earth
	}
}

// nuisance holds what is in the frame besides the truck and its mud.
type nuisance struct {
	wet        float64 // wash-bay water on wheels and body
	roadMud    float64 // mud on the road surface
	roadMudCol rgb
	puddles    float64
	shadow     int // 0 none, 1 pole, 2 building edge
	shadowA    float64
	shadowB    float64
	barrier    bool
	barrierY   float64
	barrierZ   float64
	barrierX0  float64
	person     bool
	personX    float64
	personY    float64
	vest       rgb
	spots      []lensSpot
	blur       int
	motion     bool
	noise      float64
	jpegQ      int
	dust       float64
}

type lensSpot struct {
	x, y, r, a float64
	col        rgb
}

// ground and wall are per-gate.
type ground struct {
	kind int // 0 asphalt, 1 concrete, 2 gravel
	col  rgb
}

type wall struct {
	dist   float64 // y of the back wall
	height float64
	col    rgb
	panel  float64
	kind   int // 0 hoarding, 1 building, 2 trees
}

// scene is one frame's whole world.
type scene struct {
	cam  camera
	tr   truck
	mud  mudSpec
	lt   light
	nu   nuisance
	gr   ground
	wl   wall
	seed uint64
}

// hit kinds
const (
	hitNone = iota
	hitSide
	hitFront
	hitWheel
	hitClod
	hitGround
	hitWall
	hitBarrier
	hitPerson
)

// trace returns the colour seen along ray d.
func (s *scene) trace(d vec) rgb {
	c := s.cam.pos
	best := math.Inf(1)
	kind := hitNone
	var hp vec
	var hpart *part
	var hw *wheel
	try := func(t float64, k int, p vec) {
		if t > 0 && t < best {
			best, kind, hp = t, k, p
		}
	}
	tr := &s.tr
	if d.y > 1e-6 {
		// occluders between camera and truck
		if s.nu.barrier {
			t := (s.nu.barrierY - c.y) / d.y
			p := c.add(d.scale(t))
			if math.Abs(p.z-s.nu.barrierZ) < 0.06 && p.x > s.nu.barrierX0 && p.x < s.nu.barrierX0+7 {
				try(t, hitBarrier, p)
			}
		}
		if s.nu.person {
			t := (s.nu.personY - c.y) / d.y
			p := c.add(d.scale(t))
			if personAt(p.x-s.nu.personX, p.z) > 0 {
				try(t, hitPerson, p)
			}
		}
		if len(s.mud.clods) > 0 {
			t := (tr.near - 0.3 - c.y) / d.y
			p := c.add(d.scale(t))
			for _, k := range s.mud.clods {
				if (p.x-k.x)*(p.x-k.x)+(p.z-k.z)*(p.z-k.z) < k.r*k.r {
					try(t, hitClod, p)
					break
				}
			}
		}
		t := (tr.near - 0.12 - c.y) / d.y
		p := c.add(d.scale(t))
		for i := range tr.wheels {
			w := &tr.wheels[i]
			dx, dz := p.x-w.x, p.z-w.r
			if dx*dx+dz*dz < w.r*w.r {
				try(t, hitWheel, p)
				hw = w
				break
			}
		}
		t = (tr.near - c.y) / d.y
		p = c.add(d.scale(t))
		if p.x >= tr.rear && p.x <= tr.front && p.z >= -0.1 && p.z <= tr.height {
			for i := len(tr.parts) - 1; i >= 0; i-- {
				if tr.parts[i].contains(p.x, p.z) {
					if t < best {
						hpart = &tr.parts[i]
					}
					try(t, hitSide, p)
					break
				}
			}
		}
		t = (s.wl.dist - c.y) / d.y
		p = c.add(d.scale(t))
		if p.z < s.wl.height {
			try(t, hitWall, p)
		}
	}
	if d.x < -1e-6 && c.x > tr.front {
		t := (tr.front - c.x) / d.x
		p := c.add(d.scale(t))
		if p.y >= tr.near && p.y <= tr.near+tr.width && p.z >= tr.frontZ0 && p.z <= tr.cabTop {
			try(t, hitFront, p)
		}
	}
	if d.z < -1e-6 {
		t := -c.z / d.z
		try(t, hitGround, c.add(d.scale(t)))
	}
	var col rgb
	switch kind {
	case hitNone:
		col = s.skyAt(d)
		best = 300
	case hitSide:
		if hw != nil && kind != hitWheel {
			hw = nil
		}
		col = s.shadeSide(hp, hpart, d)
	case hitFront:
		col = s.shadeFront(hp, d)
	case hitWheel:
		col = s.shadeWheel(hp, hw, d)
	case hitClod:
		a := s.mud.col.scale(0.8 + 0.4*vnoise(hp.x*40, hp.z*40, s.seed+5))
		col = s.light(hp, vec{0, -1, 0}, a, d, 0.2)
	case hitGround:
		col = s.shadeGround(hp, d)
	case hitWall:
		col = s.shadeWall(hp, d)
	case hitBarrier:
		a := rgb{0.85, 0.85, 0.85}
		if int(math.Floor((hp.x-s.nu.barrierX0)/0.5))%2 == 0 {
			a = rgb{0.8, 0.1, 0.08}
		}
		col = s.light(hp, vec{0, -1, 0.3}.norm(), a, d, 0.3)
	case hitPerson:
		a := rgb{0.15, 0.17, 0.25}
		z := hp.z
		if z > 0.95 && z < 1.55 {
			a = s.nu.vest
		} else if z > 1.6 {
			a = hsv(25, 0.4, 0.55)
			if z > 1.72 {
				a = rgb{0.9, 0.85, 0.1} // helmet
			}
		}
		col = s.light(hp, vec{0, -1, 0}, a, d, 0)
	}
	// haze and dust: the farther, the more
	if h := s.lt.haze + s.nu.dust; h > 0 {
		hc := s.lt.hazeCol
		if s.nu.dust > 0 {
			hc = mix(hc, rgb{0.75, 0.68, 0.55}, s.nu.dust/h)
			if s.lt.lamp.r > 0 {
				hc = hc.scale(0.3)
			}
		}
		col = mix(col, hc.scale(math.Max(s.lt.amb.luma()*1.3, 0.05)), 1-math.Exp(-h*best))
	}
	return col
}

// personAt reports whether (x, z) on the person's plane is inside a standing person.
func personAt(x, z float64) float64 {
	switch {
	case z < 0 || z > 1.82:
		return 0
	case z > 1.55:
		if x*x+(z-1.68)*(z-1.68) < 0.13*0.13 {
			return 1
		}
		return 0
	case z > 0.9:
		if math.Abs(x) < 0.24 {
			return 1
		}
		return 0
	default:
		if math.Abs(math.Abs(x)-0.1) < 0.08 {
			return 1
		}
		return 0
	}
}

func (s *scene) skyAt(d vec) rgb {
	c := mix(s.lt.sky, s.lt.sky.scale(0.7), clamp01(d.z))
	if s.lt.glare || s.lt.sun.r > 0 {
		k := math.Max(0, d.dot(s.lt.sunDir))
		c = c.add(s.lt.sun.scale(math.Pow(k, 200) * 4))
	}
	return c
}

// light shades albedo a at p with normal n, seen along d; spec is how glossy the surface is.
func (s *scene) light(p, n vec, a rgb, d vec, spec float64) rgb {
	lt := &s.lt
	out := a.mul(lt.amb)
	if lt.sun.r > 0 {
		k := n.dot(lt.sunDir)
		if k > 0 {
			k *= s.sunVisible(p)
			out = out.add(a.mul(lt.sun).scale(k))
			if spec > 0 {
				rf := d.sub(n.scale(2 * d.dot(n)))
				out = out.add(lt.sun.scale(spec * math.Pow(math.Max(0, rf.dot(lt.sunDir)), 30)))
			}
		}
	}
	if lt.lamp.r > 0 {
		v := lt.lampPos.sub(p)
		dist := v.length()
		v = v.scale(1 / dist)
		k := math.Max(0, n.dot(v)) / (dist*dist + 1)
		out = out.add(a.mul(lt.lamp).scale(k))
		if spec > 0 {
			rf := d.sub(n.scale(2 * d.dot(n)))
			out = out.add(lt.lamp.scale(spec * math.Pow(math.Max(0, rf.dot(v)), 30) / (dist*dist + 1)))
		}
	}
	return out
}

// sunVisible is 0 where p lies in a shadow: the truck's on the ground, or the pole or building
// shadow drawn across the wheels.
func (s *scene) sunVisible(p vec) float64 {
	tr := &s.tr
	sd := s.lt.sunDir
	if p.z < 0.02 {
		// ray from p towards the sun against the truck's box
		lo := vec{tr.rear, tr.near, 0.35}
		hi := vec{tr.front, tr.near + tr.width, tr.height}
		if rayBox(p, sd, lo, hi) {
			return 0.1
		}
	}
	switch s.nu.shadow {
	case 1:
		if math.Abs(p.x-s.nu.shadowA-p.z*s.nu.shadowB) < 0.18 {
			return 0.15
		}
	case 2:
		if p.x-p.z*s.nu.shadowB > s.nu.shadowA {
			return 0.15
		}
	}
	return 1
}

func rayBox(o, d, lo, hi vec) bool {
	t0, t1 := 0.0, math.Inf(1)
	for _, ax := range [3][3]float64{{o.x, d.x, 0}, {o.y, d.y, 1}, {o.z, d.z, 2}} {
		var l, h float64
		switch ax[2] {
		case 0:
			l, h = lo.x, hi.x
		case 1:
			l, h = lo.y, hi.y
		default:
			l, h = lo.z, hi.z
		}
		if math.Abs(ax[1]) < 1e-9 {
			if ax[0] < l || ax[0] > h {
				return false
			}
			continue
		}
		a, b := (l-ax[0])/ax[1], (h-ax[0])/ax[1]
		if a > b {
			a, b = b, a
		}
		t0, t1 = math.Max(t0, a), math.Min(t1, b)
		if t0 > t1 {
			return false
		}
	}
	return true
}

// mudOnBody is how much of the body at (x, z) is splashed with mud, 0..1.
func (s *scene) mudOnBody(x, z float64) float64 {
	m := &s.mud
	if m.level <= 0 {
		return 0
	}
	near := 0.0
	for _, w := range s.tr.wheels {
		dx := x - w.x
		if dx > 0 {
			dx *= 0.6 // splashes trail behind the wheel (towards the rear is -x: thrown back)
		}
		near = math.Max(near, math.Exp(-dx*dx/(2*1.1*1.1)))
	}
	height := math.Exp(-math.Max(0, z-0.2) / m.splash)
	dens := m.level * (0.35 + 0.65*near) * height
	n := fbm(x*5, z*9, s.seed+11, 3)*0.7 + 0.3*hash3(int64(x*90), int64(z*90), s.seed+12)
	return smooth(1-dens*0.9, 1.05-dens*0.9, n)
}

func (s *scene) ageing(a rgb, x, z float64) rgb {
	tr := &s.tr
	if tr.grime > 0 {
		g := fbm(x*1.5, z*6, tr.seed+1, 3) * tr.grime * (1.2 - 0.25*z)
		a = mix(a, rgb{0.35, 0.34, 0.32}, clamp01(g*0.6))
	}
	if tr.rust > 0 {
		n := fbm(x*4, z*4, tr.seed+2, 4)
		edge := math.Exp(-math.Max(0, z-0.6) / 0.7)
		if n > 1-tr.rust*0.45*(0.5+edge) {
			a = mix(a, hsv(18+20*n, 0.65, 0.35+0.2*n), 0.85)
		}
	}
	return a
}

func (s *scene) wetten(a rgb, x, z float64) (rgb, float64) {
	w := s.nu.wet
	if s.lt.rain {
		w = math.Max(w, 0.6)
	}
	if w <= 0 {
		return a, 0
	}
	streak := vnoise(x*25, z*1.5, s.seed+21)
	a = a.scale(1 - 0.3*w - 0.15*w*streak)
	return a, 0.3 + 0.6*w
}

func (s *scene) shadeSide(p vec, pt *part, d vec) rgb {
	a := pt.col
	spec := 0.0
	switch pt.mat {
	case matPaint:
		if pt.stripes > 0 && math.Mod(p.x*0.9+p.z*0.6+100, pt.stripes) < pt.stripes*0.35 {
			a = pt.stripeCol
		}
		a = s.ageing(a, p.x, p.z)
		spec = 0.15
	case matGlass:
		a = mix(a, s.lt.sky, 0.25)
		spec = 0.6
	case matMetal:
		a = a.scale(0.85 + 0.3*vnoise(p.x*3, p.z*20, s.seed+3))
		spec = 0.4
	case matLoad:
		a = a.scale(0.7 + 0.5*fbm(p.x*6, p.z*2, s.seed+4, 2))
	case matLamp:
		spec = 0.3
	case matDark:
		a = s.ageing(a, p.x, p.z)
	}
	if pt.mat != matGlass && pt.mat != matLamp {
		if m := s.mudOnBody(p.x, p.z); m > 0 {
			a = mix(a, s.mud.col.scale(0.8+0.4*vnoise(p.x*30, p.z*30, s.seed+6)), m)
		}
	}
	a, ws := s.wetten(a, p.x, p.z)
	col := s.light(p, vec{0, -1, 0}, a, d, spec+ws*0.5)
	if pt.mat == matLamp && (s.lt.lamp.r > 0 || s.lt.name == "dusk") {
		col = col.add(pt.col.scale(0.6))
	}
	return col
}

func (s *scene) shadeFront(p vec, d vec) rgb {
	tr := &s.tr
	u := (p.y - tr.near) / tr.width
	z := p.z
	a := s.ageing(tr.paint, p.y, z)
	spec := 0.15
	switch {
	case z > tr.cabTop*0.62 && z < tr.cabTop-0.15 && u > 0.05 && u < 0.95:
		a = mix(rgb{0.1, 0.12, 0.15}, s.lt.sky, 0.3)
		spec = 0.7
	case z < tr.frontZ0+0.35:
		a = rgb{0.12, 0.12, 0.12}
	case z < tr.frontZ0+0.55 && (u < 0.15 || u > 0.85):
		a = rgb{0.9, 0.9, 0.85}
		spec = 0.8
	case z < tr.cabTop*0.55 && u > 0.2 && u < 0.8 && tr.kind != "van":
		if int(z*14)%2 == 0 {
			a = rgb{0.1, 0.1, 0.1}
		}
	}
	if m := s.mudOnBody(tr.front-0.3, z); m > 0 {
		a = mix(a, s.mud.col, m*0.7)
	}
	a, ws := s.wetten(a, p.y, z)
	col := s.light(p, vec{1, 0, 0}, a, d, spec+ws*0.5)
	if s.lt.lamp.r > 0 && z < tr.frontZ0+0.55 && z > tr.frontZ0+0.35 && (u < 0.15 || u > 0.85) {
		col = col.add(rgb{1.5, 1.5, 1.3})
	}
	return col
}

func (s *scene) shadeWheel(p vec, w *wheel, d vec) rgb {
	dx, dz := p.x-w.x, p.z-w.r
	rr := math.Hypot(dx, dz) / w.r
	th := math.Atan2(dz, dx)
	n := vec{dx / w.r * 0.35, -1, dz / w.r * 0.35}.norm()
	var a rgb
	spec := 0.05
	rimEdge := w.rimR / w.r
	switch {
	case rr > rimEdge+0.04:
		// tyre: sidewall with a faint ring of lettering, tread blocks at the rim of the disc
		a = w.tyre
		if rr > 0.93 {
			blk := math.Sin((th+w.phase)*60) > 0
			if blk {
				a = a.scale(1.3)
			} else {
				a = a.scale(0.6)
			}
		} else if math.Abs(rr-(rimEdge+0.93)/2) < 0.02 && math.Sin((th+w.phase)*25) > 0.3 {
			a = a.scale(1.6)
		}
		if w.dual && rr < rimEdge+0.1 {
			a = a.scale(0.5)
		}
	case rr > rimEdge:
		a = w.rim.scale(0.55) // rim flange
		spec = 0.3
	default:
		a = w.rim
		spec = 0.3
		rx := rr / rimEdge
		switch w.style {
		case 0: // steel disc with hand holes
			if rx > 0.5 && rx < 0.8 {
				ang := math.Mod(th+w.phase+20*math.Pi, 2*math.Pi/float64(w.holes))
				if math.Abs(ang-math.Pi/float64(w.holes)) < 0.22 {
					a = rgb{0.04, 0.04, 0.04}
				}
			}
		case 1: // spokes
			if rx > 0.35 {
				ang := math.Mod(th+w.phase+20*math.Pi, 2*math.Pi/float64(w.holes))
				if math.Abs(ang-math.Pi/float64(w.holes)) > 0.12 && rx < 0.92 {
					a = rgb{0.05, 0.05, 0.05}
				}
			}
		case 2: // alloy: shading rings
			a = a.scale(0.85 + 0.3*math.Cos(rx*9))
		case 3: // deep dish: a darker well
			if rx > 0.45 && rx < 0.85 {
				a = a.scale(0.5)
			}
		}
		if rx < 0.42 {
			a = w.hub
			if rx < 0.32 && rx > 0.22 && math.Sin((th+w.phase)*float64(w.holes)) > 0.7 {
				a = rgb{0.75, 0.75, 0.7} // wheel nuts
			}
		}
		if rx < 0.12 {
			a = w.hub.scale(0.6)
		}
	}
	a = s.ageing(a, p.x*0.5, p.z)
	// mud on the wheel: treads and lower rim when light, caked when heavy
	if lv := s.mud.level; lv > 0 {
		lower := clamp01(0.5 - 0.5*math.Sin(th)) // 1 at the bottom of the wheel
		var amt float64
		switch {
		case rr > 0.86:
			amt = lv*1.3 + 0.3*lower
		case rr > rimEdge:
			amt = lv*(0.6+0.6*lower) - 0.1
		default:
			amt = lv * (0.2 + 1.1*lower)
			if lv < 0.55 {
				amt = lv * 1.5 * smooth(0.35, 0.9, lower)
			}
		}
		nz := fbm(dx*7+w.x, dz*7, s.seed+31, 3)*0.75 + 0.25*hash3(int64(dx*120), int64(dz*120), s.seed+32)
		m := smooth(1-amt, 1.08-amt, nz)
		if m > 0 {
			mc := s.mud.col.scale(0.75 + 0.5*vnoise(dx*35, dz*35, s.seed+33))
			if lv > 0.65 && nz > 0.7 {
				mc = mix(mc, mc.scale(1.35), 0.6) // dried crust
			}
			a = mix(a, mc, m)
			if s.mud.wet {
				spec = math.Max(spec, 0.35*m)
			}
		}
	}
	a, ws := s.wetten(a, p.x*2, p.z)
	return s.light(p, n, a, d, spec+ws*0.6)
}

func (s *scene) shadeGround(p vec, d vec) rgb {
	a := s.gr.col
	grain := hash3(int64(p.x*60), int64(p.y*60), s.seed+41)
	switch s.gr.kind {
	case 0:
		a = a.scale(0.85 + 0.25*fbm(p.x*0.8, p.y*0.8, s.seed+42, 3) + 0.15*(grain-0.5))
	case 1:
		a = a.scale(0.9 + 0.15*fbm(p.x*0.5, p.y*0.5, s.seed+42, 3))
		if math.Mod(p.x+100, 4) < 0.03 || math.Mod(p.y+100, 4) < 0.03 {
			a = a.scale(0.6)
		}
	default:
		a = a.scale(0.7 + 0.6*grain*fbm(p.x*3, p.y*3, s.seed+42, 2) + 0.2*vnoise(p.x*30, p.y*30, s.seed+43))
	}
	spec := 0.0
	wet := s.nu.wet*0.8 + btof(s.lt.rain)*0.7
	if s.lt.snow {
		sn := fbm(p.x*1.5, p.y*1.5, s.seed+44, 3)
		if sn > 0.45 {
			a = mix(a, rgb{0.92, 0.93, 0.95}, smooth(0.45, 0.55, sn))
		}
	}
	if s.nu.roadMud > 0 {
		tr := &s.tr
		track := 0.0
		for _, y := range []float64{tr.near + 0.25, tr.near + tr.width - 0.25} {
			track = math.Max(track, math.Exp(-(p.y-y)*(p.y-y)/0.05))
		}
		n := fbm(p.x*0.9, p.y*1.4, s.seed+45, 4)
		m := smooth(1-s.nu.roadMud*(0.5+0.6*track), 1.1-s.nu.roadMud*(0.5+0.6*track), n)
		a = mix(a, s.nu.roadMudCol.scale(0.8+0.4*grain), m)
	}
	if s.nu.puddles > 0 {
		n := fbm(p.x*0.45+3, p.y*0.6, s.seed+46, 3)
		if n > 1-s.nu.puddles*0.45 {
			// a puddle mirrors the sky and what stands over it, darkly
			rd := vec{d.x, d.y, -d.z}
			a = mix(a.scale(0.4), s.skyAt(rd).scale(0.6), 0.6)
			spec = 0.8
			wet = 1
		}
	}
	if wet > 0 {
		a = a.scale(1 - 0.35*wet)
		spec = math.Max(spec, 0.5*wet)
	}
	tr := &s.tr
	ao := 1.0
	if p.x > tr.rear && p.x < tr.front && p.y > tr.near && p.y < tr.near+tr.width {
		ao = 0.3
	}
	for _, w := range tr.wheels { // contact shadow under each tyre
		dx, dy := p.x-w.x, p.y-(tr.near+0.15)
		ao *= 1 - 0.6*math.Exp(-(dx*dx/(w.r*w.r*0.5)+dy*dy/0.08))
	}
	return s.light(p, vec{0, 0, 1}, a.scale(ao), d, spec)
}

func btof(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *scene) shadeWall(p vec, d vec) rgb {
	w := &s.wl
	a := w.col
	switch w.kind {
	case 0:
		if math.Mod(p.x+1000, w.panel) < 0.06 {
			a = a.scale(0.6)
		}
		a = a.scale(0.9 + 0.2*fbm(p.x*0.7, p.z*0.7, s.seed+51, 2))
	case 1:
		if math.Mod(p.x+1000, 3.2) < 1.4 && math.Mod(p.z, 3) > 1.2 && math.Mod(p.z, 3) < 2.6 {
			a = mix(rgb{0.15, 0.18, 0.22}, s.lt.sky, 0.3)
		}
	default:
		n := fbm(p.x*1.2, p.z*1.2, s.seed+52, 4)
		a = hsv(80+40*n, 0.5, 0.15+0.35*n)
		if p.z > w.height-2*n {
			return s.skyAt(d)
		}
	}
	return s.light(p, vec{0, -1, 0}, a, d, 0)
}
