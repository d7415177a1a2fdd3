package gatesim

import (
	"image"
	"image/color"
	"math"
	"math/rand"
)

// Label is the truth about a rendered frame.
type Label struct {
	Muddy     bool
	Condition string  // the light: LightSun, ...
	Severity  float64 // the mud amount, 0 for a clean vehicle
	Kind      string  // vehicle kind, "" for an empty lane
	Hard      []string
	Partial   bool              // part of the vehicle is out of the frame
	Occluders []string          // pole, barrier, person
	Wheels    []image.Rectangle // near-side wheels in the frame
}

// renderer holds one frame being drawn.
type renderer struct {
	g       Gate
	cond    Condition
	cam     camera
	env     env
	pl      *placed
	mud     *mudModel
	roadMud *mudModel
	c       *canvas // the scene, linear light
	layer   *canvas // the vehicle, premultiplied
	wet     []float32
	seed    uint32
	rng     *rand.Rand
}

// Render draws one frame of truck standing at gate under cond. A Truck with an empty Kind
// renders the empty lane. The same arguments and the same rng state give the same image.
func Render(gate Gate, truck Truck, cond Condition, rng *rand.Rand) (image.Image, Label) {
	c, lab := renderLinear(gate, truck, cond, rng)
	return finishFrame(c, gate, cond, rng), lab
}

func renderLinear(g Gate, t Truck, cond Condition, rng *rand.Rand) (*canvas, Label) {
	cam := newCamera(g)
	r := &renderer{g: g, cond: cond, cam: cam, env: newEnv(cond, g, cam), rng: rng, seed: uint32(rng.Int63())}
	lab := Label{Condition: cond.Light, Kind: t.Kind}
	if t.Kind != "" {
		r.pl = place(g, t)
		lab.Muddy = t.Mud > 0
		lab.Severity = math.Round(t.Mud*100) / 100
	}
	r.mud = &mudModel{seed: t.Seed + 7}
	if r.pl != nil {
		r.mud = &mudModel{amount: t.Mud, kind: t.MudKind, kind2: t.MudKind2, seed: t.Seed + 7,
			wheels: r.pl.sp.axles, tyreR: r.pl.sp.tyreR}
	}
	soil := []string{MudFresh, MudWet, MudClay, MudGrey, MudDried}
	r.roadMud = &mudModel{roadMud: cond.RoadMud, kind: soil[r.seed%5], kind2: soil[(r.seed/5)%5], seed: r.seed + 100, nearX: g.StopX}
	if t.Mud > 0 && rng.Float64() < 0.6 {
		r.roadMud.kind = t.MudKind // what falls off the truck
	}
	r.c = newCanvas(g.Width, g.Height, false)
	r.wet = make([]float32, g.Width*g.Height)
	r.background()
	if r.pl != nil {
		r.layer = newCanvas(g.Width, g.Height, true)
		r.drawVehicle()
		if cond.MotionBlur >= 1 {
			rad := int(cond.MotionBlur / 2)
			boxBlur(r.layer.pix, r.layer.w, r.layer.h, 3, rad, 0)
			boxBlur(r.layer.alpha, r.layer.w, r.layer.h, 1, rad, 0)
		}
		r.reflect()
		r.composite()
	}
	lab.Occluders = r.occluders()
	if cond.Rain > 0 {
		r.rain()
	}
	if r.pl != nil {
		lab.Wheels, lab.Partial = r.wheelBoxes()
		lab.Hard = hardNegatives(t, cond, g)
	}
	return r.warp(), lab
}

func hardNegatives(t Truck, c Condition, g Gate) []string {
	var h []string
	if t.Wet > 0 {
		h = append(h, "wet-vehicle")
	}
	if c.RoadMud > 0 {
		h = append(h, "road-mud")
	}
	if g.RoadWet > 0 || c.Light == LightRain {
		h = append(h, "wet-road")
	}
	for _, p := range []Paint{t.Cab, t.Body} {
		if p.Name == "ochre" || p.Name == "brown" || p.Name == "orange" {
			h = append(h, "brown-paint")
			break
		}
	}
	if t.Rust > 0 {
		h = append(h, "rust")
	}
	if c.ShadowBand {
		h = append(h, "shadow")
	}
	if c.LensSpots > 0 {
		h = append(h, "lens-spots")
	}
	if t.Kind == KindTipper8x4 || t.Kind == KindTipper6x4 {
		if !t.Lid && t.Seed%3 != 0 && t.Seed%2 == 1 {
			h = append(h, "spoil-load")
		}
	}
	return h
}

// reflect mirrors the vehicle in the wet road: the ray from the camera bounces off the road
// and meets the vehicle's near side, whose image the layer already holds.
func (r *renderer) reflect() {
	p := r.pl
	w := r.c.w
	cam := r.cam
	for y := 0; y < r.c.h; y++ {
		for x := 0; x < w; x++ {
			k := float64(r.wet[y*w+x])
			if k <= 0.02 {
				continue
			}
			d := cam.ray(float64(x)+0.5, float64(y)+0.5)
			if d.Y >= 0 {
				continue
			}
			g := cam.pos.add(d.scale(-cam.pos.Y / d.Y))
			rd := vec3{d.X, -d.Y, d.Z}
			if rd.Z >= 0 || g.Z < p.z0 {
				continue
			}
			q := g.add(rd.scale((p.z0 - g.Z) / rd.Z))
			if q.Y > 4.5 {
				continue
			}
			s, _, ok := cam.project(q)
			if !ok {
				continue
			}
			sx, sy := int(s.X), int(s.Y)
			if sx < 0 || sy < 0 || sx >= w || sy >= r.c.h {
				continue
			}
			i := sy*w + sx
			al := float64(r.layer.alpha[i])
			if al <= 0 {
				continue
			}
			// Fresnel: a grazing look reflects more
			cosi := -d.Y / math.Sqrt(d.dot(d))
			k *= 0.25 + 0.6*math.Pow(1-cosi, 3)
			j := (y*w + x) * 3
			sj := i * 3
			for ch := 0; ch < 3; ch++ {
				r.c.pix[j+ch] = r.c.pix[j+ch]*float32(1-k*al) + r.layer.pix[sj+ch]*float32(k)
			}
		}
	}
}

func (r *renderer) composite() {
	for i, a := range r.layer.alpha {
		if a <= 0 {
			continue
		}
		if a > 1 {
			a = 1
		}
		j := i * 3
		for ch := 0; ch < 3; ch++ {
			r.c.pix[j+ch] = r.c.pix[j+ch]*(1-a) + r.layer.pix[j+ch]
		}
	}
}

// occluders draws what stands between the camera and the lane.
func (r *renderer) occluders() []string {
	var out []string
	g := r.g
	if g.Pole {
		o := vec3{g.PoleX, 0, g.PoleZ}
		r.face(r.c, o, vec3{1, 0, 0}, vec3{0, 1, 0}, vec3{0, 0, 1}, rect(-0.08, 0, 0.08, 9), 1, func(a, b float64) (rgb, float64, float64) {
			c := srgb(150, 152, 148)
			if b < 1.2 && fmod(b+a+10, 0.3) < 0.15 {
				c = srgb(220, 180, 20)
			} else if b < 1.2 {
				c = srgb(30, 30, 30)
			}
			k := math.Sqrt(math.Max(0, 1-(a/0.08)*(a/0.08)))
			return c.mul(0.35 + 0.75*k), 0.1 * k, 1
		})
		out = append(out, "pole")
	}
	if g.Barrier {
		front := g.StopX + float64(g.Facing)*(10.0/2+1.2)
		if r.pl != nil {
			front = r.pl.world(r.pl.sp.length+1.2, 0, 0).X
		}
		n := vec3{1, 0, 0}
		if front > 0 {
			n = vec3{-1, 0, 0}
		}
		o := vec3{front, 0, 1.4}
		u := vec3{0, 0, -1}
		v := vec3{0, 1, 0}
		// the post
		r.face(r.c, o, u, v, n, rect(-0.2, 0, 0.2, 1.1), 1, solidSurf(srgb(200, 170, 40), 0.1))
		th := rad(g.BarrierAngle)
		L := truckWidth + 2.2
		dx, dy := math.Cos(th), math.Sin(th)
		px, py := 0.0, 1.0
		hw := 0.06
		poly := [][2]float64{{px - dy*hw, py + dx*hw}, {px + dx*L - dy*hw, py + dy*L + dx*hw}, {px + dx*L + dy*hw, py + dy*L - dx*hw}, {px + dy*hw, py - dx*hw}}
		r.face(r.c, o, u, v, n, poly, 1, func(a, b float64) (rgb, float64, float64) {
			s := (a-px)*dx + (b-py)*dy
			if int(math.Floor(s/0.4))%2 == 0 {
				return srgb(200, 30, 30), 0.2, 1
			}
			return srgb(235, 235, 235), 0.2, 1
		})
		out = append(out, "barrier")
	}
	if g.WashRail {
		r.washRail()
		out = append(out, "wash-rail")
	}
	if r.cond.Person {
		r.person()
		out = append(out, "person")
	}
	return out
}

// washRail draws the side frame of a wheel-wash platform: two steel pipes on posts along the
// lane between the camera and the truck, with spray nozzles; they cross the lowest part of the
// wheels, as at a real wash bay.
func (r *renderer) washRail() {
	g := r.g
	z := g.WashRailZ
	if r.pl != nil {
		z += r.pl.z0
	}
	o := vec3{g.StopX, 0, z}
	u, v, n := vec3{1, 0, 0}, vec3{0, 1, 0}, vec3{0, 0, 1}
	steel := func(y0, y1 float64) surfFn {
		return func(a, b float64) (rgb, float64, float64) {
			k := (b - y0) / (y1 - y0)
			c := srgb(128, 132, 136).mul(0.55 + 0.6*math.Sin(k*math.Pi))
			if fmod(a+100, 0.5) < 0.03 && b < y0+0.02 {
				c = srgb(40, 40, 40) // a nozzle
			}
			return mix(c, srgb(120, 72, 40), 0.3*vnoise(a*4, b*40, r.seed+90)), 0.2, 1
		}
	}
	for _, y := range []float64{0.12, 0.32} {
		r.face(r.c, o, u, v, n, rect(-9, y, 9, y+0.06), 1, steel(y, y+0.06))
	}
	for x := -9.0; x <= 9; x += 1.5 {
		r.face(r.c, o, u, v, n, rect(x, 0, x+0.06, 0.4), 1, steel(0, 0.4))
	}
}

// person draws a site worker in a hi-vis vest and a helmet, standing between camera and lane.
func (r *renderer) person() {
	g := r.g
	rng := r.rng
	z := 0.6 + rng.Float64()*math.Max(0.5, g.CamDist-1.8)
	aim := (g.CamDist - z) * math.Tan(rad(g.Yaw))
	x := aim + (rng.Float64()*2-1)*math.Tan(rad(g.HFOV/2))*(g.CamDist-z)*0.9
	o := vec3{x, 0, z}
	u, v, n := vec3{1, 0, 0}, vec3{0, 1, 0}, vec3{0, 0, 1}
	vest := []rgb{srgb(240, 120, 20), srgb(210, 220, 40)}[rng.Intn(2)]
	helmet := []rgb{srgb(230, 190, 20), srgb(200, 30, 30), srgb(235, 235, 235), srgb(30, 80, 180)}[rng.Intn(4)]
	trousers := srgb(42, 46, 60)
	h := 0.92 + rng.Float64()*0.12
	sc := func(p [][2]float64) [][2]float64 {
		out := make([][2]float64, len(p))
		for i, q := range p {
			out[i] = [2]float64{q[0] * h, q[1] * h}
		}
		return out
	}
	lit := func(c rgb) surfFn { return solidSurf(c, 0.05) }
	r.face(r.c, o, u, v, n, sc(rect(-0.18, 0, -0.03, 0.88)), 1, lit(trousers))
	r.face(r.c, o, u, v, n, sc(rect(0.03, 0, 0.18, 0.88)), 1, lit(trousers))
	r.face(r.c, o, u, v, n, sc(rect(-0.2, 0, -0.02, 0.08)), 1, lit(srgb(30, 30, 30)))
	r.face(r.c, o, u, v, n, sc(rect(0.02, 0, 0.2, 0.08)), 1, lit(srgb(30, 30, 30)))
	r.face(r.c, o, u, v, n, sc(rect(-0.34, 0.92, -0.22, 1.45)), 1, lit(srgb(60, 70, 90)))
	r.face(r.c, o, u, v, n, sc(rect(0.22, 0.92, 0.34, 1.45)), 1, lit(srgb(60, 70, 90)))
	r.face(r.c, o, u, v, n, sc([][2]float64{{-0.22, 0.85}, {0.22, 0.85}, {0.25, 1.46}, {-0.25, 1.46}}), 1, func(a, b float64) (rgb, float64, float64) {
		if math.Abs(b/h-1.05) < 0.025 || math.Abs(b/h-1.2) < 0.025 {
			c := srgb(210, 210, 210)
			if r.env.lamp > 0 {
				c = c.mul(5)
			}
			return c, 0.3, 1
		}
		return vest, 0.05, 1
	})
	r.face(r.c, o, u, v, n, sc(disc(0, 1.57, 0.1, 20)), 1, lit(srgb(186, 140, 110)))
	r.face(r.c, o, u, v, n, sc(arc(0, 1.6, 0, 0.13, 0, math.Pi, 12)), 1, lit(helmet))
}

// rain draws falling streaks.
func (r *renderer) rain() {
	n := int(r.cond.Rain * 900 * float64(r.c.w*r.c.h) / (1920 * 1080))
	slant := (r.rng.Float64()*2 - 1) * 0.25
	for i := 0; i < n; i++ {
		x := r.rng.Float64() * float64(r.c.w)
		y := r.rng.Float64() * float64(r.c.h)
		l := (15 + r.rng.Float64()*60) * float64(r.c.h) / 1080
		w := 0.6 + r.rng.Float64()*1.2
		a := 0.06 + r.rng.Float64()*0.14
		col := r.env.horizon.mul(1.1)
		r.c.fill([]pt{{x, y}, {x + w, y}, {x + w + slant*l, y + l}, {x + slant*l, y + l}}, func(_, _ float64) (rgb, float64) { return col, a })
	}
}

// wheelBoxes finds the near-side wheels in the output frame.
func (r *renderer) wheelBoxes() ([]image.Rectangle, bool) {
	p := r.pl
	sp := p.sp
	var out []image.Rectangle
	partial := false
	W, H := float64(r.g.Width), float64(r.g.Height)
	for _, a := range sp.axles {
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		ok := true
		for i := 0; i < 24; i++ {
			th := 2 * math.Pi * float64(i) / 24
			q, _, vis := r.cam.project(p.world(a.x+sp.tyreR*math.Cos(th), sp.tyreR+sp.tyreR*math.Sin(th), 0.02))
			if !vis {
				ok = false
				break
			}
			q = r.cam.toFrame(q)
			minX, maxX = math.Min(minX, q.X), math.Max(maxX, q.X)
			minY, maxY = math.Min(minY, q.Y), math.Max(maxY, q.Y)
		}
		if !ok {
			partial = true
			continue
		}
		full := (maxX - minX) * (maxY - minY)
		cx0, cy0 := math.Max(minX, 0), math.Max(minY, 0)
		cx1, cy1 := math.Min(maxX, W), math.Min(maxY, H)
		if cx1 <= cx0 || cy1 <= cy0 {
			partial = true
			continue
		}
		in := (cx1 - cx0) * (cy1 - cy0)
		if in < full*0.98 {
			partial = true
		}
		if in >= full*0.3 {
			out = append(out, image.Rect(int(cx0), int(cy0), int(math.Ceil(cx1)), int(math.Ceil(cy1))))
		}
	}
	for _, q := range []vec3{p.world(0, 0, 0), p.world(sp.length, 0, 0), p.world(0, sp.bodyTop, 0), p.world(sp.length, sp.cabTop, 0)} {
		s, _, ok := r.cam.project(q)
		if !ok {
			partial = true
			continue
		}
		s = r.cam.toFrame(s)
		if s.X < 0 || s.X > W || s.Y < 0 || s.Y > H {
			partial = true
		}
	}
	return out, partial
}

// warp applies the lens's barrel distortion.
func (r *renderer) warp() *canvas {
	if r.cam.k == 0 {
		return r.c
	}
	out := newCanvas(r.c.w, r.c.h, false)
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			sx, sy := r.cam.srcOf(float64(x)+0.5, float64(y)+0.5)
			out.set(x, y, r.c.bilinear(sx, sy))
		}
	}
	return out
}

// finishFrame is the camera's own chain: glare, dirty window, vignetting, auto exposure, tone
// curve, sensor noise, 8-bit output.
func finishFrame(c *canvas, g Gate, cond Condition, rng *rand.Rand) *image.RGBA {
	w, h := c.w, c.h
	cam := newCamera(g)
	e := newEnv(cond, g, cam)
	if cond.Glare > 0 {
		glare(c, cam, e, cond)
	}
	if cond.LensSpots > 0 {
		lensSpots(c, cond, rng)
	}
	// vignetting
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-cam.cx)/cam.halfDiag, (float64(y)-cam.cy)/cam.halfDiag
			k := float32(1 - 0.3*(dx*dx+dy*dy))
			i := (y*w + x) * 3
			c.pix[i] *= k
			c.pix[i+1] *= k
			c.pix[i+2] *= k
		}
	}
	// auto exposure on the mean of the frame's log luminance
	var sum float64
	n := 0
	for y := 0; y < h; y += 6 {
		for x := 0; x < w; x += 6 {
			i := (y*w + x) * 3
			l := 0.2126*float64(c.pix[i]) + 0.7152*float64(c.pix[i+1]) + 0.0722*float64(c.pix[i+2])
			sum += math.Log(l + 1e-4)
			n++
		}
	}
	key := 0.2
	switch cond.Light {
	case LightNightIR, LightNightLED:
		key = 0.1
	case LightDusk:
		key = 0.12
	}
	mean := math.Exp(sum / float64(n))
	E := key / mean * cond.Exposure
	if E > 80 {
		E = 80 // the gain runs out
	}
	if cond.LampOff && E > 1.5 {
		E = 1.5 // nothing lit to expose for
	}
	ir := cond.Light == LightNightIR
	src := newXorshift(rng.Uint64())
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			v := [3]float64{float64(c.pix[i]) * E, float64(c.pix[i+1]) * E, float64(c.pix[i+2]) * E}
			if ir {
				l := 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
				v = [3]float64{l, l, l}
			}
			nz := src.gauss() * cond.Noise
			var o [3]uint8
			for ch := 0; ch < 3; ch++ {
				t := tone(v[ch])*255 + nz
				if !ir {
					t += src.gauss() * cond.Noise * 0.5
				}
				o[ch] = uint8(clamp(math.Round(t), 0, 255))
			}
			out.SetRGBA(x, y, color.RGBA{o[0], o[1], o[2], 255})
		}
	}
	return out
}

const toneMax, toneN = 3.0, 8192

var toneTable = func() (t [toneN + 1]float64) {
	for i := range t {
		t[i] = toneSlow(float64(i) * toneMax / toneN)
	}
	return t
}()

// tone is the camera's curve: a soft shoulder then the sRGB transfer, from a table.
func tone(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= toneMax {
		return 1
	}
	f := x * toneN / toneMax
	i := int(f)
	return toneTable[i] + (toneTable[i+1]-toneTable[i])*(f-float64(i))
}

func toneSlow(x float64) float64 {
	if x <= 0 {
		return 0
	}
	y := x * (1 + x/9) / (1 + x)
	if y > 1 {
		y = 1
	}
	if y <= 0.0031308 {
		return 12.92 * y
	}
	return 1.055*math.Pow(y, 1/2.4) - 0.055
}

func glare(c *canvas, cam camera, e env, cond Condition) {
	sp, _, ok := cam.project(cam.pos.add(e.sunDir.scale(1000)))
	var cx, cy float64
	if ok {
		sp = cam.toFrame(sp)
		cx, cy = sp.X, sp.Y
	} else {
		cx, cy = cam.cx, -float64(c.h)
	}
	col := e.sun.mul(0.08 * cond.Glare)
	veil := e.horizon.mul(0.1 * cond.Glare)
	diag := cam.halfDiag
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy) / diag
			k := 1/(1+40*d*d) + 0.1
			i := (y*c.w + x) * 3
			c.pix[i] += float32(col.R*k + veil.R)
			c.pix[i+1] += float32(col.G*k + veil.G)
			c.pix[i+2] += float32(col.B*k + veil.B)
		}
	}
	// ghosts along the line through the frame's centre
	for k := 1; k <= 3; k++ {
		t := -0.4 * float64(k)
		gx, gy := cam.cx+(cx-cam.cx)*t, cam.cy+(cy-cam.cy)*t
		rad := float64(c.h) * (0.03 + 0.03*float64(k))
		gc := rgb{0.4, 0.6, 0.5}.mul(0.12 * cond.Glare)
		x0, x1 := clampi(int(gx-rad), 0, c.w), clampi(int(gx+rad)+1, 0, c.w)
		y0, y1 := clampi(int(gy-rad), 0, c.h), clampi(int(gy+rad)+1, 0, c.h)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				d := math.Hypot(float64(x)-gx, float64(y)-gy) / rad
				if d >= 1 {
					continue
				}
				a := float32(1 - smoothstep(0.8, 1, d))
				i := (y*c.w + x) * 3
				c.pix[i] += float32(gc.R) * a
				c.pix[i+1] += float32(gc.G) * a
				c.pix[i+2] += float32(gc.B) * a
			}
		}
	}
}

// lensSpots smears dirt or water drops on the lens window: soft blurred discs.
func lensSpots(c *canvas, cond Condition, rng *rand.Rand) {
	bl := make([]float32, len(c.pix))
	copy(bl, c.pix)
	blur(bl, c.w, c.h, 3, float64(c.h)/60)
	var mean rgb
	for i := 0; i < len(c.pix); i += 3 * 97 {
		mean = mean.add(rgb{float64(c.pix[i]), float64(c.pix[i+1]), float64(c.pix[i+2])})
	}
	mean = mean.mul(1 / float64(len(c.pix)/(3*97)))
	for s := 0; s < cond.LensSpots; s++ {
		cx := rng.Float64() * float64(c.w)
		cy := rng.Float64() * float64(c.h)
		rad := float64(c.h) * (0.02 + 0.1*rng.Float64())
		opacity := 0.3 + 0.5*rng.Float64()
		tint := mean.mul(1.1)
		if cond.SpotsBrown {
			tint = srgb(120, 94, 66).mul(mean.lum() / srgb(120, 94, 66).lum() * 0.9)
		}
		x0, x1 := clampi(int(cx-rad), 0, c.w), clampi(int(cx+rad)+1, 0, c.w)
		y0, y1 := clampi(int(cy-rad), 0, c.h), clampi(int(cy+rad)+1, 0, c.h)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / rad
				if d >= 1 {
					continue
				}
				a := opacity * (1 - smoothstep(0.4, 1, d))
				i := (y*c.w + x) * 3
				for ch, tv := range [3]float64{tint.R, tint.G, tint.B} {
					b := float64(bl[i+ch])*0.6 + tv*0.4
					c.pix[i+ch] = float32(float64(c.pix[i+ch])*(1-a) + b*a)
				}
			}
		}
	}
}

// xorshift is a fast generator for per-pixel noise.
type xorshift struct{ s uint64 }

func newXorshift(seed uint64) *xorshift {
	if seed == 0 {
		seed = 0x9e3779b97f4a7c15
	}
	return &xorshift{seed}
}

func (x *xorshift) next() uint64 {
	x.s ^= x.s << 13
	x.s ^= x.s >> 7
	x.s ^= x.s << 17
	return x.s
}

// gauss is an approximately normal deviate (sum of four uniforms).
func (x *xorshift) gauss() float64 {
	v := x.next()
	s := float64(v&0xffff) + float64((v>>16)&0xffff) + float64((v>>32)&0xffff) + float64(v>>48)
	return (s/65535 - 2) * 1.732
}
