package gatesim

import (
	"math"
)

// background draws the road, the wall or fence across the lane, the far skyline and the sky,
// one ray per canvas pixel, with the vehicle's shadow and the darkness under it.
func (r *renderer) background() {
	g, cam, e := r.g, r.cam, r.env
	wallZ := -truckWidth - g.BackDist
	wallH := g.BackHeight
	if g.Background == BackOpen {
		wallH = 0
	}
	var trackZ0, trackZ1 float64
	if r.pl != nil {
		trackZ0, trackZ1 = r.pl.z0-0.2, r.pl.z0-r.pl.sp.width+0.2
	} else {
		trackZ0, trackZ1 = -0.2, -truckWidth+0.2
	}
	rows := make(chan int, 16)
	done := make(chan struct{})
	workers := 2
	for w := 0; w < workers; w++ {
		go func() {
			for y := range rows {
				for x := 0; x < r.c.w; x++ {
					d := cam.ray(float64(x)+0.5, float64(y)+0.5)
					c, wet := r.backPixel(d, wallZ, wallH, trackZ0, trackZ1)
					r.c.set(x, y, c)
					r.wet[y*r.c.w+x] = float32(wet)
				}
			}
			done <- struct{}{}
		}()
	}
	for y := 0; y < r.c.h; y++ {
		rows <- y
	}
	close(rows)
	for w := 0; w < workers; w++ {
		<-done
	}
	_ = e
}

func (r *renderer) backPixel(d vec3, wallZ, wallH, tz0, tz1 float64) (rgb, float64) {
	cam := r.cam
	o := cam.pos
	tg := math.Inf(1)
	if d.Y < 0 {
		tg = -o.Y / d.Y
	}
	tw := math.Inf(1)
	if d.Z < 0 {
		tw = (wallZ - o.Z) / d.Z
	}
	if tw < tg {
		p := o.add(d.scale(tw))
		if p.Y < wallH {
			see := r.wall(p, tw/cam.f)
			if see.alpha >= 1 {
				return see.c, 0
			}
			behind := r.far(d, o)
			return mix(behind, see.c, see.alpha), 0
		}
		return r.far(d, o), 0
	}
	if math.IsInf(tg, 1) {
		return r.sky(d), 0
	}
	return r.road(o.add(d.scale(tg)), d, tz0, tz1, tg/cam.f)
}

type seen struct {
	c     rgb
	alpha float64
}

// far is what lies beyond the wall: distant ground, buildings and trees, the sky.
func (r *renderer) far(d, o vec3) rgb {
	const farZ = -70
	if d.Z < 0 {
		t := (farZ - o.Z) / d.Z
		p := o.add(d.scale(t))
		if p.Y < 0 {
			// far ground seen over a low wall
			tg := -o.Y / d.Y
			q := o.add(d.scale(tg))
			a := srgb(120, 118, 108)
			irr := r.env.irradiance(q, vec3{0, 1, 0}, 1, 1)
			return r.haze(r.alb(a).mulc(irr), 40)
		}
		cell := math.Floor(p.X / 14)
		h := 4 + 30*hashf(int32(cell), 7, r.seed)*hashf(int32(cell), 9, r.seed)
		if hashf(int32(cell), 3, r.seed) < 0.25 {
			h = 0
		}
		tree := 3 + 5*fbm(p.X*0.15, 1, 2, r.seed+4)
		if p.Y < h {
			a := srgb(168, 166, 160).mul(0.7 + 0.5*hashf(int32(cell), 5, r.seed))
			if fmod(p.Y, 3) < 1.4 && fmod(math.Abs(p.X), 3.5) < 1.8 {
				a = a.mul(0.55)
			}
			irr := r.env.irradiance(p, vec3{0, 0, 1}, 1, 1)
			return r.haze(r.alb(a).mulc(irr), 70)
		}
		if p.Y < tree && g0(r.g.Background) {
			a := srgb(52, 78, 46).mul(0.7 + 0.6*fbm(p.X*1.5, p.Y*1.5, 2, r.seed+5))
			irr := r.env.irradiance(p, vec3{0, 0.3, 1}.norm(), 1, 1)
			return r.haze(r.alb(a).mulc(irr), 50)
		}
	}
	return r.sky(d)
}

func g0(back string) bool { return back == BackFence || back == BackOpen || back == BackBrick }

// haze fades distant things into the horizon's colour.
func (r *renderer) haze(c rgb, dist float64) rgb {
	k := 1 - math.Exp(-dist/180)
	if r.cond.Light == LightRain {
		k = 1 - math.Exp(-dist/60)
	}
	return mix(c, r.env.horizon.mul(0.9), k)
}

// skyPlain is the sky's gradient without sun or clouds, for reflections.
func (r *renderer) skyPlain(d vec3) rgb {
	el := math.Max(0, d.Y/math.Sqrt(d.dot(d)))
	return mix(r.env.horizon, r.env.zenith, math.Sqrt(el))
}

func (r *renderer) sky(d vec3) rgb {
	d = d.norm()
	el := math.Max(0, d.Y)
	c := mix(r.env.horizon, r.env.zenith, math.Sqrt(el))
	if r.env.sun.lum() > 0 {
		cs := d.dot(r.env.sunDir)
		if cs > 0 {
			c = c.add(r.env.sun.mul(0.25 * math.Pow(cs, 12)))
			if cs > 0.9995 {
				c = c.add(rgb{30, 30, 28})
			}
		}
	}
	if r.cond.Light == LightOvercast || r.cond.Light == LightRain {
		c = c.mul(0.85 + 0.3*fbm(d.X/(d.Y+0.2)*2, d.Z/(d.Y+0.2)*2, 3, r.seed+31))
	} else if r.cond.Light == LightSun {
		cl := smoothstep(0.55, 0.8, fbm(d.X/(d.Y+0.15)*1.5, d.Z/(d.Y+0.15)*1.5, 4, r.seed+32))
		c = mix(c, r.env.horizon.mul(1.2), cl*0.8)
	}
	return c
}

// alb gives the albedo the camera sees: infrared cameras see other reflectances.
func (r *renderer) alb(a rgb) rgb {
	if r.env.ir {
		return albedoIR(a)
	}
	return a
}

// wall is the hoarding, wall or fence across the lane at world point p.
func (r *renderer) wall(p vec3, mpp float64) seen {
	g := r.g
	s := r.seed
	var a rgb
	alpha := 1.0
	gloss := 0.0
	switch g.Background {
	case BackHoardingBlue, BackHoardingGreen, BackGatePosts:
		base := srgb(38, 92, 170)
		if g.Background == BackHoardingGreen {
			base = srgb(52, 130, 80)
		}
		if g.Background == BackGatePosts {
			base = srgb(200, 202, 198)
		}
		a = base
		a = a.mul(1 - 0.15*line(p.Y, 0.2, 0.024, mpp)) // corrugation
		a = a.mul(1 - 0.4*line(p.X+1000, 1.0, 0.02, mpp))
		if p.Y > g.BackHeight-0.25 {
			a = srgb(230, 232, 228)
		}
		if p.Y < 0.3 {
			a = srgb(150, 150, 146)
		}
		// a printed banner with a slogan
		bx := fmod(p.X+1000, 18)
		if bx > 3 && bx < 12 && p.Y > 0.7 && p.Y < g.BackHeight-0.45 {
			a = srgb(236, 236, 232)
			if p.Y > 0.95 && p.Y < g.BackHeight-0.7 {
				cx := math.Floor(bx / 0.7)
				if fmod(bx, 0.7) > 0.12 && hashf(int32(cx), int32(p.Y*8), s) < 0.55 {
					a = srgb(190, 40, 36)
				}
			}
		}
		gloss = 0.05
		if g.Background == BackGatePosts {
			px := fmod(p.X-g.StopX+1006, 12)
			if px < 1.2 {
				a = srgb(120, 116, 110).mul(0.8 + 0.4*vnoise(p.X*4, p.Y*4, s))
			}
		}
	case BackBrick:
		row := math.Floor(p.Y / 0.063)
		off := 0.0
		if int(row)%2 == 1 {
			off = 0.125
		}
		bx := math.Floor((p.X + off + 1000) / 0.25)
		// bricks smaller than a pixel average out instead of beating against the pixel grid
		fine := smoothstep(0.006, 0.03, mpp)
		a = srgb(150, 70, 50).mul(0.75 + 0.5*lerp(hashf(int32(bx), int32(row), s), 0.5, fine))
		m := math.Max(line(p.Y, 0.063, 0.01, mpp), line(p.X+off+1000, 0.25, 0.01, mpp))
		a = mix(a, srgb(170, 165, 155), m)
		a = a.mul(0.8 + 0.3*fbm(p.X*0.5, p.Y*0.5, 2, s+1))
	case BackFence:
		post := fmod(p.X+1000, 2.5)
		if post < 0.06 {
			a = srgb(40, 80, 50)
		} else if p.Y > g.BackHeight-0.05 || (p.Y > 0.4 && p.Y < 0.45) {
			a = srgb(40, 80, 50)
		} else {
			a = srgb(40, 80, 50)
			alpha = 0.35
		}
	}
	n := vec3{0, 0, 1}
	vis := 1.0
	if r.pl != nil && r.env.sun.lum() > 0 && r.pl.sunBlocked(p, r.env.sunDir) {
		vis = 0
	}
	irr := r.env.irradiance(p, n, vis, 1)
	c := r.alb(a).mulc(irr)
	if gloss > 0 {
		c = c.add(r.env.horizon.mul(gloss))
	}
	return seen{c, alpha}
}

// road shades the lane's surface at world point p.
func (r *renderer) road(p, d vec3, tz0, tz1, mpp float64) (rgb, float64) {
	g := r.g
	s := r.seed
	X, Z := p.X, p.Z
	var a rgb
	// grain: one hash per 2.5 cm cell (sub-pixel beyond a few metres, so no need to be smooth)
	grain := hashf(int32(math.Floor(X*40)), int32(math.Floor(Z*40)), s+41)
	big := fbm(X*0.4, Z*0.4, 2, s+42)
	roadKind := g.Road
	if roadKind == RoadSteel {
		// the deck is 18 m by 3.4 m; concrete around it
		if math.Abs(X-g.StopX) > 9 || Z < -truckWidth-0.6 || Z > 0.8 {
			roadKind = RoadConcrete
		}
	}
	switch roadKind {
	case RoadConcrete:
		a = srgb(150, 148, 140).mul(0.8 + 0.35*big + 0.12*grain)
		a = a.mul(1 - 0.55*math.Max(line(X+1000, 4.5, 0.015, mpp), line(Z+1000, 3.6, 0.015, mpp)))
		if g.Road == RoadSteel {
			a = a.mul(0.9)
		}
	case RoadAsphalt:
		a = srgb(68, 68, 70).mul(0.8 + 0.3*big + 0.35*grain)
		if math.Abs(Z-0.9) < 0.08 {
			a = srgb(200, 200, 190).mul(0.8 + 0.2*grain)
		}
		stop := g.StopX + float64(g.Facing)*6.5
		if math.Abs(X-stop) < 0.2 {
			a = srgb(200, 200, 190).mul(0.8 + 0.2*grain)
		}
	case RoadSteel:
		a = srgb(96, 102, 108).mul(0.85 + 0.25*big)
		// diamond tread
		u, v := X*22, Z*22
		cu, cv := math.Floor(u), math.Floor(v)
		fu, fv := u-cu, v-cv
		lift := 1.0
		if int(cu+cv)%2 == 0 {
			if math.Abs(fu-0.5) < 0.35 && math.Abs(fv-0.5) < 0.1 {
				lift = 1.35
			}
		} else if math.Abs(fv-0.5) < 0.35 && math.Abs(fu-0.5) < 0.1 {
			lift = 1.35
		}
		a = a.mul(lerp(lift, 1.1, smoothstep(0.012, 0.035, mpp)))
		a = a.mul(1 - 0.6*line(X-g.StopX+1000, 3, 0.02, mpp))
		// rust along the seams and edges
		if vnoise(X*2, Z*2, s+43) > 0.7 {
			a = mix(a, srgb(120, 72, 44), 0.35)
		}
		// yellow-black edge strip
		if math.Abs(X-g.StopX) > 8.8 {
			if int(math.Floor((Z+1000)/0.3))%2 == 0 {
				a = srgb(210, 170, 30)
			} else {
				a = srgb(30, 30, 30)
			}
		}
	case RoadPatched:
		a = srgb(72, 72, 74).mul(0.8 + 0.3*big + 0.3*grain)
		pn := fbm(X*0.25, Z*0.25, 3, s+44)
		if pn > 0.6 {
			a = srgb(140, 138, 130).mul(0.8 + 0.3*grain)
		} else if pn < 0.32 {
			a = srgb(45, 45, 47).mul(0.8 + 0.4*grain)
		}
		if math.Abs(vnoise(X*1.3, Z*1.3, s+45)-0.5) < 0.008 {
			a = a.mul(0.4) // cracks
		}
	}
	// tyre rubber along the wheel tracks
	for _, tz := range []float64{tz0, tz1} {
		if dz := math.Abs(Z - tz); dz < 0.25 {
			a = a.mul(1 - 0.15*(1-dz/0.25))
		}
	}
	// mud on the road beside the vehicle
	if ms := r.roadMud.road(X, Z, tz0, tz1); ms.alpha > 0 {
		a = mix(a, ms.alb, ms.alpha)
	}
	// wet: darker, glossy, puddles
	wet := g.RoadWet
	if r.cond.Light == LightRain {
		wet = math.Max(wet, 0.8)
	}
	puddle := 0.0
	if wet > 0 {
		a = a.mul(1 - 0.45*wet)
		if g.Puddles > 0 || r.cond.Light == LightRain {
			pud := math.Max(g.Puddles, 0.25)
			puddle = smoothstep(1-pud-0.03, 1-pud+0.03, fbm(X*0.5, Z*0.5, 2, s+46)) * wet
		}
	}
	n := vec3{0, 1, 0}
	vis := 1.0
	if r.env.sun.lum() > 0 && r.pl.sunBlocked(p, r.env.sunDir) {
		vis = 0
	}
	ao := r.pl.underAO(X, Z)
	irr := r.env.irradiance(p, n, vis, ao)
	c := r.alb(a).mulc(irr)
	if wet > 0 {
		// the sky reflected, strongest at grazing angles
		dn := d.norm()
		cosi := math.Abs(dn.Y)
		fres := 0.02 + 0.98*math.Pow(1-cosi, 5)
		refl := wet * (0.3 + 0.7*puddle)
		rd := vec3{dn.X, -dn.Y, dn.Z}
		c = c.mul(1 - 0.6*puddle).add(r.skyPlain(rd).mul(fres * refl * ao))
	}
	return c, wet * (0.25 + 0.75*puddle)
}

// line is the share of a pixel of footprint mpp (metres) that a line of the given width,
// repeating every period, covers at pos: box-filtered, so thin far lines fade instead of
// breaking into dashes.
func line(pos, period, width, mpp float64) float64 {
	w := math.Max(width, mpp)
	if fmod(pos, period) < w {
		return width / w
	}
	return 0
}
