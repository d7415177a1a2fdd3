package coversim

import (
	"fmt"
	"image"
	"math"
	"math/rand"
)

// lighting is one frame's light: sun and sky, or a lamp (an IR illuminator at the camera, a white
// LED floodlight), with the air between.
type lighting struct {
	sun                bool
	sunDir, sunCol     Vec3
	ambient            Vec3
	skyTop, skyHorizon Vec3
	lamp               bool
	lampPos, lampCol   Vec3
	ir                 bool
	fog                float64
	fogCol             Vec3
	wet                bool
	glare              float64
	target             float64 // the auto-exposure's mean
}

type scene struct {
	g     Gate
	s     Spec
	tr    *truck
	cam   camera
	li    lighting
	seed  uint64
	fault string
	osd   bool // the camera stamps date, time and its name
}

// truth is what each pixel shows, for tests: what it ended on and how high above the boards.
type truth struct {
	w, h  int
	mat   []uint8
	above []float32 // local height above the board tops, metres
	net   []bool
}

const (
	defaultW = 640
	defaultH = 360
)

func (s Spec) size() (int, int) {
	if s.Width <= 0 || s.Height <= 0 {
		return defaultW, defaultH
	}
	return s.Width, s.Height
}

func newLighting(g Gate, cam camera, cond string, rng *rand.Rand) lighting {
	li := lighting{target: uniform(rng, 0.16, 0.24), fog: 0.002, fogCol: srgb(200, 205, 210)}
	sunAt := func(el, az float64) Vec3 {
		return v3(math.Cos(el)*math.Cos(az), math.Cos(el)*math.Sin(az), math.Sin(el))
	}
	camAz := math.Atan2(cam.fwd.Y, cam.fwd.X)
	switch cond {
	case "day", "haze":
		li.sun = true
		li.sunDir = sunAt(uniform(rng, 0.4, 1.25), uniform(rng, -math.Pi, math.Pi))
		li.sunCol = v3(1, 0.96, 0.9).mul(uniform(rng, 2.6, 3.4))
		li.ambient = v3(0.55, 0.65, 0.85).mul(uniform(rng, 0.5, 0.8))
		li.skyTop, li.skyHorizon = srgb(90, 140, 210), srgb(200, 215, 230)
		if cond == "haze" {
			li.sunCol = li.sunCol.mul(0.6)
			li.fog = uniform(rng, 0.04, 0.12)
			li.fogCol = srgb(200, 185, 160)
			li.skyTop, li.skyHorizon = srgb(190, 180, 160), srgb(215, 205, 185)
		}
	case "overcast", "rain":
		li.ambient = v3(0.9, 0.92, 0.95).mul(uniform(rng, 0.9, 1.3))
		li.skyTop, li.skyHorizon = srgb(170, 172, 176), srgb(200, 202, 205)
		if cond == "rain" {
			li.wet = true
			li.ambient = li.ambient.mul(0.7)
			li.fog = uniform(rng, 0.01, 0.03)
			li.fogCol = srgb(150, 155, 160)
			li.skyTop, li.skyHorizon = srgb(120, 125, 130), srgb(160, 163, 168)
		}
	case "dusk":
		li.sun = true
		li.sunDir = sunAt(uniform(rng, 0.02, 0.15), uniform(rng, -math.Pi, math.Pi))
		li.sunCol = v3(1, 0.55, 0.3).mul(uniform(rng, 0.6, 1.2))
		li.ambient = v3(0.35, 0.4, 0.6).mul(uniform(rng, 0.2, 0.35))
		li.skyTop, li.skyHorizon = srgb(50, 60, 100), srgb(230, 140, 80)
		li.target = uniform(rng, 0.08, 0.14)
	case "glare":
		li.sun = true
		li.sunDir = sunAt(uniform(rng, 0.12, 0.45), camAz+rng.NormFloat64()*0.3)
		li.sunCol = v3(1, 0.93, 0.82).mul(uniform(rng, 3, 4))
		li.ambient = v3(0.6, 0.65, 0.8).mul(uniform(rng, 0.5, 0.8))
		li.skyTop, li.skyHorizon = srgb(120, 160, 215), srgb(235, 235, 235)
		li.glare = uniform(rng, 0.4, 1.0)
		li.target = uniform(rng, 0.2, 0.3)
	case "night-ir":
		li.lamp, li.ir = true, true
		li.lampPos = g.Cam.add(v3(0, 0, 0.1))
		li.lampCol = v3(1, 1, 1).mul(uniform(rng, 20, 45))
		li.ambient = v3(0.01, 0.01, 0.01)
		li.target = uniform(rng, 0.1, 0.16)
	case "night-led":
		li.lamp = true
		li.lampPos = v3(uniform(rng, -3, 3), g.Cam.Y*0.5+uniform(rng, -2, 2), uniform(rng, 6, 8.5))
		li.lampCol = v3(1, 0.97, 0.92).mul(uniform(rng, 40, 90))
		li.ambient = v3(0.05, 0.035, 0.02).mul(uniform(rng, 0.2, 0.6)) // sodium glow from the street
		li.skyTop, li.skyHorizon = srgb(5, 6, 10), srgb(30, 25, 20)
		li.target = uniform(rng, 0.08, 0.14)
	}
	return li
}

// Render draws one frame of gate g showing spec s; rng gives the frame's truck, light and noise.
func Render(g Gate, s Spec, rng *rand.Rand) (image.Image, Label) {
	img, lab, _ := render(g, s, rng, "")
	return img, lab
}

// render draws the frame; fault names a blind camera's failure ("" for a seeing camera).
func render(g Gate, s Spec, rng *rand.Rand, fault string) (*image.RGBA, Label, *truth) {
	w, h := s.size()
	sc := &scene{g: g, s: s, cam: g.camera(w, h), seed: rng.Uint64(), fault: fault, osd: g.OSD}
	// A frame must show its label: a tear the camera cannot see is not a torn frame. Trucks are
	// redrawn (rarely) until a coarse pass over the bed region shows it.
	bed := g.RegionsFor(w, h)[0]
	for try := 0; ; try++ {
		sc.tr = newTruck(g, s, rng)
		if try >= 12 {
			break
		}
		if ok, _ := shows(s, sc.coarse(w, h), bed, 1); ok {
			break
		}
	}
	sc.li = newLighting(g, sc.cam, s.Condition, rng)
	if fault == "ir-failure" {
		sc.li.lampCol = sc.li.lampCol.mul(0.0003) // the illuminator's LEDs are dead
	}
	buf := make([]Vec3, w*h)
	tru := &truth{w: w, h: h, mat: make([]uint8, w*h), above: make([]float32, w*h), net: make([]bool, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := sc.cam.ray(float64(x)+0.5, float64(y)+0.5)
			ht := sc.trace(sc.cam.pos, d)
			k := y*w + x
			buf[k] = sc.shadeRay(ht, d)
			tru.mat[k] = uint8(ht.mat)
			tru.above[k] = float32(ht.lp.Z - sc.tr.top)
			tru.net[k] = ht.hasNet
		}
	}
	img := sc.post(buf, w, h, rng)
	lab := Label{
		Label: s.Label, Condition: s.Condition, View: g.View, Gate: g.Name(),
		Cover: s.Cover, Load: s.Load, Variant: s.Variant, Truck: s.Truck,
	}
	top := -10.0
	for _, v := range sc.tr.load {
		top = math.Max(top, v)
	}
	lab.HeapAbove = math.Round((top-sc.tr.top)*100) / 100
	lab.Visible = tru.bedVisible(g.RegionsFor(w, h)[0])
	return img, lab, tru
}

// bedVisible is the fraction of the bed region's pixels that land on the bed, its load or cover.
func (t *truth) bedVisible(r Region) float64 {
	n, in := 0, 0
	for y := 0; y < t.h; y++ {
		for x := 0; x < t.w; x++ {
			if !insidePolygon(r.Polygon, (float64(x)+0.5)/float64(t.w), (float64(y)+0.5)/float64(t.h)) {
				continue
			}
			n++
			switch t.mat[y*t.w+x] {
			case matLoad, matCover, matWallInner, matWallTop, matFloor:
				in++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return math.Round(float64(in)/float64(n)*1000) / 1000
}

func insidePolygon(poly [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// shadeRay lights the surface a ray ended on, lays a net over it, and adds the air between.
func (s *scene) shadeRay(h hit, d Vec3) Vec3 {
	var c Vec3
	if h.mat == matSky {
		c = s.sky(d)
	} else {
		alb, spec := s.albedo(h)
		c = s.light(h.p, h.n, d, alb, spec, h.mat)
	}
	if h.hasNet {
		tr := s.tr
		np := tr.origin.add(tr.dirWorld(h.netLP))
		weave := 0.85 + 0.3*fbm(h.netLP.X*9, h.netLP.Y*9, tr.seed+41, 2)
		alb := tr.covCol.mul(weave)
		alb = s.stain(alb, h.netLP, 0.4)
		nc := s.light(np, h.netN, d, alb, 0, matCover)
		a := tr.netAlpha
		c = nc.mul(a).add(c.mul(1 - a))
	}
	if s.li.glare > 0 && s.li.sun {
		cosA := d.dot(s.li.sunDir)
		c = c.add(s.li.sunCol.mul(s.li.glare * 0.35 * math.Pow(math.Max(0, cosA), 24)))
		if cosA > 0.9995 {
			c = c.add(s.li.sunCol.mul(20))
		}
	}
	dist := h.t
	if h.mat == matSky {
		dist = 300
	}
	f := math.Exp(-s.li.fog * dist)
	fc := s.li.fogCol.mul(s.li.ambient.lum() + 0.3*s.li.sunCol.lum())
	if s.li.lamp {
		fc = s.li.fogCol.mul(0.02)
	}
	return c.mul(f).add(fc.mul(1 - f))
}

func (s *scene) sky(d Vec3) Vec3 {
	if s.li.ir {
		return v3(0.005, 0.005, 0.005)
	}
	t := clamp(d.Z*2.5, 0, 1)
	c := s.li.skyHorizon.lerp(s.li.skyTop, t)
	scale := s.li.ambient.lum()*1.6 + 0.25*s.li.sunCol.lum()
	return c.mul(scale)
}

// light is the radiance leaving a surface of albedo alb towards the camera.
func (s *scene) light(p, n, d, alb Vec3, spec float64, mat int) Vec3 {
	li := &s.li
	if n.dot(d) > 0 {
		n = n.mul(-1) // the side facing the camera
	}
	ao := s.occlusion(p, mat)
	c := alb.hadamard(li.ambient).mul(ao)
	if li.wet && (mat == matGround || mat == matCover || mat == matWallTop) {
		spec += 0.35
	}
	if li.sun {
		nl := n.dot(li.sunDir)
		if nl > 0 {
			v := s.visibility(p, li.sunDir, 200)
			if v > 0 {
				c = c.add(alb.hadamard(li.sunCol).mul(nl * v))
				if spec > 0 {
					hv := li.sunDir.sub(d).norm()
					c = c.add(li.sunCol.mul(spec * v * math.Pow(math.Max(0, n.dot(hv)), 60)))
				}
			}
		}
	}
	if li.lamp {
		l := li.lampPos.sub(p)
		dist := l.length()
		l = l.mul(1 / dist)
		nl := n.dot(l)
		if nl > 0 {
			v := s.visibility(p, l, dist)
			if v > 0 {
				e := li.lampCol.mul(nl * v / (dist * dist))
				if li.ir {
					a := s.irAlbedo(alb, mat)
					c = c.add(e.mul(a))
				} else {
					c = c.add(alb.hadamard(e))
				}
				if spec > 0 {
					hv := l.sub(d).norm()
					c = c.add(e.mul(spec * math.Pow(math.Max(0, n.dot(hv)), 60)))
				}
			}
		}
	}
	if li.wet && (mat == matGround || mat == matWallTop || mat == matCover) {
		// a wet surface mirrors the sky a little
		r := d.sub(n.mul(2 * d.dot(n)))
		c = c.add(s.sky(r).mul(0.12))
	}
	return c
}

// irAlbedo is a surface's reflectance at 850 nm: dyed fabrics and green paint shine brighter in
// the near infrared than they look, glass and rubber stay dark.
func (s *scene) irAlbedo(alb Vec3, mat int) float64 {
	base := 0.7 * math.Sqrt(alb.lum())
	switch mat {
	case matCover:
		if s.tr.covKind != coverLid {
			base += 0.2
		}
	case matWheel, matChassis:
		base *= 0.5
	case matLoad:
		base *= 0.9
	}
	return clamp(base, 0.02, 0.95)
}

// occlusion darkens the sky light deep in the bed, near its boards.
func (s *scene) occlusion(p Vec3, mat int) float64 {
	if mat != matLoad && mat != matWallInner && mat != matFloor && mat != matCover {
		return 1
	}
	tr := s.tr
	lp := tr.toLocal(p)
	depth := tr.top - lp.Z
	if depth <= 0 {
		return 1
	}
	dw := math.Min(math.Min(lp.X-tr.x0, -tr.x0-lp.X), math.Min(lp.Y-tr.y0, -tr.y0-lp.Y))
	dw = math.Max(dw, 0)
	return 1 - 0.6*depth/(depth+dw+0.1)
}

// coarse traces every fourth pixel (at least 64x36 rays) without shading, for the visibility check.
func (s *scene) coarse(w, h int) *truth {
	cw, ch := max(64, w/4), max(36, h/4)
	tru := &truth{w: cw, h: ch, mat: make([]uint8, cw*ch), above: make([]float32, cw*ch), net: make([]bool, cw*ch)}
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			d := s.cam.ray((float64(x)+0.5)*float64(w)/float64(cw), (float64(y)+0.5)*float64(h)/float64(ch))
			ht := s.trace(s.cam.pos, d)
			k := y*cw + x
			tru.mat[k] = uint8(ht.mat)
			tru.above[k] = float32(ht.lp.Z - s.tr.top)
			tru.net[k] = ht.hasNet
		}
	}
	return tru
}

// counts are what a frame's pixels show: in the bed region, load seen bare, load or bed seen
// through a net, cover; in the whole frame, load or cover standing above the boards.
type counts struct {
	bed, bare, cover, high, frame int
}

func (t *truth) count(bed Region) counts {
	var c counts
	c.frame = t.w * t.h
	for y := 0; y < t.h; y++ {
		for x := 0; x < t.w; x++ {
			k := y*t.w + x
			m := t.mat[k]
			if (m == matLoad || m == matCover || t.net[k]) && t.above[k] > 0.15 {
				c.high++
			}
			if !insidePolygon(bed.Polygon, (float64(x)+0.5)/float64(t.w), (float64(y)+0.5)/float64(t.h)) {
				continue
			}
			c.bed++
			switch {
			case m == matLoad && !t.net[k]:
				c.bare++
			case m == matLoad || m == matCover:
				c.cover++
			}
		}
	}
	return c
}

// shows says whether a frame's truth shows its label; strict scales the thresholds (1 for the
// generator's own check, lower for a test looking at the full frame).
func shows(s Spec, t *truth, bed Region, strict float64) (bool, string) {
	c := t.count(bed)
	if c.bed == 0 {
		return false, "bed region empty"
	}
	fb := float64(c.bare) / float64(c.bed)
	fc := float64(c.cover) / float64(c.bed)
	fh := float64(c.high) / float64(c.frame)
	switch s.Label {
	case Open:
		if c.cover > 0 || fb < 0.12*strict {
			return false, fmt.Sprintf("open: cover on %d pixels, bare load on %.3f of the bed", c.cover, fb)
		}
	case Torn:
		if fb < 0.03*strict || fc < 0.05*strict {
			return false, fmt.Sprintf("torn: bare load on %.3f, cover on %.3f of the bed", fb, fc)
		}
	case Heaped:
		if fh < 0.006*strict {
			return false, fmt.Sprintf("heaped: %.4f of the frame above the boards", fh)
		}
	case Covered:
		if c.high > 0 || (s.Cover != "empty" && (c.bare > 0 || fc < 0.2*strict)) || (s.Cover == "empty" && c.cover > 0) {
			return false, fmt.Sprintf("covered: %d bare, %.3f cover, %d high", c.bare, fc, c.high)
		}
	}
	return true, ""
}
