package gatesim

import (
	"math"
)

// surfFn is a surface's albedo, gloss and opacity at local coordinates (a, b) on its plane.
type surfFn func(a, b float64) (rgb, float64, float64)

// face draws a planar polygon of the vehicle (or an occluder) into the layer. o is the plane's
// origin, u and v its orthonormal axes, n its outward normal; poly is in (a, b) along u and v.
func (r *renderer) face(dst *canvas, o, u, v, n vec3, poly [][2]float64, ao float64, surf surfFn) {
	if r.cam.pos.sub(o).dot(n) <= 0 {
		return
	}
	world := make([]vec3, len(poly))
	for i, q := range poly {
		world[i] = o.add(u.scale(q[0])).add(v.scale(q[1]))
	}
	pts := r.cam.polygon(world)
	if pts == nil {
		return
	}
	base := o.sub(r.cam.pos).dot(n)
	dst.fill(pts, func(x, y float64) (rgb, float64) {
		d := r.cam.ray(x, y)
		dn := d.dot(n)
		if math.Abs(dn) < 1e-9 {
			return rgb{}, 0
		}
		wp := r.cam.pos.add(d.scale(base / dn))
		q := wp.sub(o)
		alb, gloss, alpha := surf(q.dot(u), q.dot(v))
		if alpha <= 0 {
			return rgb{}, 0
		}
		return r.lit(wp, n, d, alb, gloss, ao), alpha
	})
}

// lit shades a surface point.
func (r *renderer) lit(wp, n, d vec3, alb rgb, gloss, ao float64) rgb {
	irr := r.env.irradiance(wp, n, ao, ao)
	c := r.alb(alb).mulc(irr)
	if gloss > 0 {
		dn := d.norm()
		rd := dn.sub(n.scale(2 * dn.dot(n)))
		// glints of the sun and of a lamp on wet or glossy surfaces
		if r.env.sun.lum() > 0 {
			if k := rd.dot(r.env.sunDir); k > 0.9 {
				c = c.add(r.env.sun.mul(gloss * 0.6 * pow64(k) * r.env.sunVis(wp) * ao))
			}
		}
		if r.env.lamp > 0 {
			l := r.env.lampPos.sub(wp)
			d2 := l.dot(l)
			if k := rd.dot(l.scale(1 / math.Sqrt(d2))); k > 0.9 {
				c = c.add(r.env.lampCol.mul(gloss * 0.5 * r.env.lamp / d2 * pow64(k)))
			}
		}
		// what a vertical surface mirrors near the horizon is the gate's own surroundings
		// (walls, poles, the camera's side of the road), darker than the sky above them
		var env rgb
		if rd.Y > 0 {
			sky := mix(r.env.horizon, r.env.zenith, math.Sqrt(rd.Y))
			env = mix(r.env.horizon.mul(0.3), sky, smoothstep(0.05, 0.45, rd.Y))
		} else {
			env = r.env.horizon.mul(0.2)
		}
		if r.env.ir {
			env = rgb{env.lum(), env.lum(), env.lum()}
		}
		// the reflected world is not uniform: bands of buildings and ground
		band := 0.5 + vnoise(rd.X*6+wp.X*0.5, rd.Y*9+wp.Y*0.8, r.seed+51)
		c = c.add(env.mul(gloss * band * ao))
	}
	return c
}

// pow64 is x to the 64th, a tight specular lobe.
func pow64(x float64) float64 {
	for i := 0; i < 6; i++ {
		x *= x
	}
	return x
}

// side draws a polygon on a plane parallel to the vehicle's side at local depth z (0 the side,
// negative inward); a and b in surf are the vehicle's own x and y.
func (r *renderer) side(poly [][2]float64, z, ao float64, surf surfFn) {
	p := r.pl
	o := p.world(0, 0, z)
	r.face(r.layer, o, vec3{p.f, 0, 0}, vec3{0, 1, 0}, vec3{0, 0, 1}, poly, ao, surf)
}

func rect(x0, y0, x1, y1 float64) [][2]float64 {
	return [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

func arc(cx, cy, r0, r1, a0, a1 float64, n int) [][2]float64 {
	out := make([][2]float64, 0, 2*n+2)
	for i := 0; i <= n; i++ {
		a := a0 + (a1-a0)*float64(i)/float64(n)
		out = append(out, [2]float64{cx + r1*math.Cos(a), cy + r1*math.Sin(a)})
	}
	for i := n; i >= 0; i-- {
		a := a0 + (a1-a0)*float64(i)/float64(n)
		out = append(out, [2]float64{cx + r0*math.Cos(a), cy + r0*math.Sin(a)})
	}
	return out
}

func disc(cx, cy, rad float64, n int) [][2]float64 {
	out := make([][2]float64, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = [2]float64{cx + rad*math.Cos(a), cy + rad*math.Sin(a)}
	}
	return out
}

// finish lays the vehicle's state over a surface's own albedo at local (x, y): dust, rust on
// steel, mud (low: how exposed the part is to spray), water from the wash.
func (r *renderer) finish(alb rgb, gloss, x, y, low float64, steel bool) (rgb, float64) {
	t := r.pl.t
	s := t.Seed
	if t.Dust > 0 {
		k := t.Dust * (0.25 + 0.25*vnoise(x*1.5, y*1.5, s+61)) * (0.6 + 0.4*fastDecay(y/1.2))
		alb = mix(alb, srgb(128, 126, 120), k)
		gloss *= 1 - t.Dust
	}
	if steel && t.Rust > 0 {
		// rust: scattered pits and blooms, thin runs below them, a stain more than a coat
		n := warped(x*7, y*7, s+62)
		streak := vnoise(x*40, y*1.2, s+63) * smoothstep(0.5, 0.7, vnoise(x*40, 0.3, s+67))
		k := smoothstep(1-0.25*t.Rust, 1-0.25*t.Rust+0.05, math.Max(n, streak*0.9))
		rc := mix(srgb(156, 78, 34), srgb(110, 58, 30), vnoise(x*30, y*30, s+64))
		alb = mix(alb, rc, k*0.75)
	}
	if ms := r.mud.body(x, y, low); ms.alpha > 0 {
		alb = mix(alb, ms.alb, ms.alpha)
		gloss = lerp(gloss, ms.gloss, ms.alpha)
	}
	if t.Wet > 0 {
		alb, gloss = wetten(alb, gloss, x, y, t.Wet, s)
	}
	return alb, gloss
}

// wetten is water on a surface: darker, glossier, with droplets and runs.
func wetten(alb rgb, gloss, x, y, wet float64, s uint32) (rgb, float64) {
	alb = alb.mul(1 - 0.25*wet)
	gloss += 0.08 * wet
	run := vnoise(x*28, y*2.5, s+65)
	if run > 0.8 {
		alb = alb.mul(0.94)
		gloss += 0.05 * wet
	}
	dn := vnoise(x*110, y*110, s+66)
	if dn > 1-0.1*wet*math.Exp(-y/1.6) {
		gloss += 0.45
		alb = alb.mul(0.8)
	}
	return alb, gloss
}

// drawVehicle draws the standing vehicle into the layer, far parts first.
func (r *renderer) drawVehicle() {
	p := r.pl
	sp := p.sp
	t := p.t
	camX := p.localX(r.cam.pos.X)

	// far wheels and the dark underside
	for _, a := range sp.axles {
		r.farWheel(a)
	}
	r.side(rect(0.3, 0.4*sp.frameY0, sp.length-0.5, sp.frameY1+0.2), -sp.width/2, 0.25, func(x, y float64) (rgb, float64, float64) {
		return srgb(26, 26, 26).mul(0.8 + 0.4*vnoise(x*3, y*3, t.Seed+70)), 0, 1
	})
	for _, a := range sp.axles {
		cx := a.x
		r.side(rect(cx-0.22, sp.tyreR-0.16, cx+0.22, sp.tyreR+0.14), -0.7, 0.35, func(x, y float64) (rgb, float64, float64) {
			alb, g := r.finish(srgb(34, 34, 34), 0.05, x, y, 0.8, true)
			return alb, g, 1
		})
	}
	// chassis rails
	chassis := srgb(30, 30, 32)
	if t.Seed%5 == 0 {
		chassis = srgb(120, 30, 26)
	}
	r.side(rect(0.2, sp.frameY0, sp.cabX0+0.6, sp.frameY1), -0.35, 0.55, func(x, y float64) (rgb, float64, float64) {
		alb, g := r.finish(chassis, 0.1, x, y, 1, true)
		return alb, g, 1
	})
	// wheel wells
	for _, a := range sp.axles {
		r.side(disc(a.x, sp.tyreR, sp.tyreR+0.06, 32), -0.08, 0.3, func(x, y float64) (rgb, float64, float64) {
			return srgb(20, 20, 20), 0, 1
		})
	}
	heavy := sp.tyreR > 0.45
	if heavy {
		r.tankAndGuard()
	}
	cabFirst := camX < sp.length/2
	if cabFirst {
		r.cab()
		r.body()
	} else {
		r.body()
		r.cab()
	}
	for _, a := range sp.axles {
		r.wheel(a)
	}
	r.fenders()
}

func (r *renderer) tankAndGuard() {
	p := r.pl
	sp := p.sp
	t := p.t
	// the longest gap between axles holds the tank and the side guard
	gap0, gap1 := 0.0, 0.0
	for i := 0; i+1 < len(sp.axles); i++ {
		a, b := sp.axles[i].x+sp.tyreR+0.12, sp.axles[i+1].x-sp.tyreR-0.12
		if b-a > gap1-gap0 {
			gap0, gap1 = a, b
		}
	}
	if gap1-gap0 < 0.8 {
		return
	}
	alu := t.Seed%3 != 0
	tx0, tx1 := gap1-math.Min(1.5, gap1-gap0-0.1), gap1-0.05
	tank := [][2]float64{{tx0 + 0.08, 0.48}, {tx1 - 0.08, 0.48}, {tx1, 0.56}, {tx1, 0.92}, {tx1 - 0.08, 1.0}, {tx0 + 0.08, 1.0}, {tx0, 0.92}, {tx0, 0.56}}
	r.side(tank, -0.12, 0.7, func(x, y float64) (rgb, float64, float64) {
		var a rgb
		g := 0.1
		if alu {
			a = srgb(176, 178, 180).mul(0.85 + 0.3*vnoise(x*2, y*60, t.Seed+71))
			g = 0.35
		} else {
			a = srgb(36, 36, 38)
		}
		// a curved tank: darker to its top and bottom
		a = a.mul(0.65 + 0.45*(1-math.Abs(y-0.74)/0.26))
		if math.Abs(x-(tx0+0.3)) < 0.03 || math.Abs(x-(tx1-0.3)) < 0.03 {
			a = srgb(30, 30, 30) // straps
		}
		alb, gl := r.finish(a, g, x, y, 0.9, !alu)
		return alb, gl, 1
	})
	guard := t.Guard.lin()
	for _, yb := range [][2]float64{{0.46, 0.58}, {0.76, 0.86}} {
		r.side(rect(gap0, yb[0], gap1, yb[1]), 0, 0.95, func(x, y float64) (rgb, float64, float64) {
			a := guard
			if y > yb[1]-0.025 {
				a = a.mul(1.2)
			} else if y < yb[0]+0.02 {
				a = a.mul(0.6)
			}
			alb, g := r.finish(a, 0.15, x, y, 1, true)
			return alb, g, 1
		})
	}
	for _, x := range []float64{gap0 + 0.05, (gap0 + gap1) / 2, gap1 - 0.1} {
		r.side(rect(x, 0.46, x+0.05, 1.0), -0.02, 0.8, func(xx, y float64) (rgb, float64, float64) {
			alb, g := r.finish(guard.mul(0.7), 0.1, xx, y, 1, true)
			return alb, g, 1
		})
	}
}

// paintSurf is painted sheet steel with panel features.
func (r *renderer) paintSurf(paint rgb, low float64, feature func(x, y float64, a rgb) rgb) surfFn {
	t := r.pl.t
	return func(x, y float64) (rgb, float64, float64) {
		a := paint.mul(0.93 + 0.14*vnoise(x*0.8, y*0.8, t.Seed+72))
		if feature != nil {
			a = feature(x, y, a)
		}
		// painted panels rust only along their lowest edge
		alb, g := r.finish(a, 0.08, x, y, low, y < 1.42 && vnoise(x*3, 0, t.Seed+73) > 0.5)
		return alb, g, 1
	}
}

func (r *renderer) cab() {
	p := r.pl
	sp := p.sp
	t := p.t
	L := sp.length
	x0, yb, yt := sp.cabX0, sp.cabBottom, sp.cabTop
	paint := t.Cab.lin()
	var poly [][2]float64
	var win [][2]float64
	switch sp.body {
	case "van":
		poly = [][2]float64{{0, yb}, {L - 0.05, yb}, {L, 0.75}, {L, 1.15}, {L - 0.85, 1.95}, {L - 1.4, yt}, {0.05, yt}, {0, yt - 0.05}}
		win = [][2]float64{{L - 1.9, 1.3}, {L - 0.95, 1.3}, {L - 1.2, 1.9}, {L - 1.9, 1.95}}
	case "bed":
		poly = [][2]float64{{x0, yb}, {L - 0.05, yb}, {L, 0.7}, {L, 0.98}, {L - 1.0, 1.15}, {L - 1.6, yt}, {x0 + 0.1, yt}, {x0, yt - 0.1}}
		win = [][2]float64{{x0 + 0.2, 1.2}, {L - 1.15, 1.2}, {L - 1.62, yt - 0.08}, {x0 + 0.25, yt - 0.08}}
	default:
		poly = [][2]float64{{x0, yb}, {L - 0.05, yb}, {L, yb + 0.3}, {L, 2.05}, {L - 0.32, yt - 0.12}, {L - 0.5, yt}, {x0, yt}}
		win = [][2]float64{{L - 1.55, 2.05}, {L - 0.42, 2.05}, {L - 0.6, yt - 0.25}, {L - 1.55, yt - 0.25}}
		if t.Seed%4 != 0 { // roof fairing
			r.side([][2]float64{{x0 + 0.1, yt}, {L - 0.55, yt}, {L - 0.9, yt + 0.45}, {x0 + 0.2, yt + 0.5}}, -0.15, 1, r.paintSurf(paint, 0.1, nil))
		}
	}
	doorX0, doorX1 := L-1.6, L-0.38
	if sp.body == "van" || sp.body == "bed" {
		doorX0, doorX1 = L-2.0, L-0.9
	}
	r.side(poly, 0, 1, r.paintSurf(paint, 0.8, func(x, y float64, a rgb) rgb {
		if math.Abs(x-doorX0) < 0.012 || math.Abs(x-doorX1) < 0.012 {
			return a.mul(0.35)
		}
		if y < yb+0.22 && sp.tyreR > 0.45 {
			return srgb(44, 44, 46) // plastic kick panel
		}
		if x > doorX0+0.15 && x < doorX1-0.15 && y > yb+0.55 && y < yb+0.7 {
			cx := math.Floor((x - doorX0) / 0.12)
			if fmod(x-doorX0, 0.12) > 0.03 && hashf(int32(cx), int32(y*20), t.Seed) < 0.6 {
				return srgb(200, 36, 30) // the company's name
			}
		}
		return a
	}))
	r.side(win, 0.005, 1, func(x, y float64) (rgb, float64, float64) {
		return srgb(22, 26, 30), 0.3, 1
	})
	if sp.tyreR > 0.45 {
		// steps under the door
		for i := 0; i < 2; i++ {
			y0 := 0.45 + float64(i)*0.27
			r.side(rect(L-1.35, y0, L-0.8, y0+0.07), 0.02, 0.8, func(x, y float64) (rgb, float64, float64) {
				alb, g := r.finish(srgb(60, 60, 62), 0.1, x, y, 1, true)
				return alb, g, 1
			})
		}
		// mirror
		r.side(rect(L+0.05, 1.95, L+0.22, 2.55), 0.3, 1, solidSurf(srgb(24, 24, 24), 0.1))
	}
	// the roof (and a pickup's bonnet), seen from a high camera
	switch sp.body {
	case "van":
		r.roof(yt, 0.05, L-1.4, r.paintSurf(paint, 0, nil))
	case "bed":
		r.roof(yt, x0+0.1, L-1.6, r.paintSurf(paint, 0, nil))
		r.roof(0.98, L-1.0, L, r.paintSurf(paint, 0, nil))
	default:
		r.roof(yt, x0, L-0.5, r.paintSurf(paint, 0, nil))
	}
	// the sloping faces at the front: windscreens and bonnets, and a pickup's cab back
	switch sp.body {
	case "van":
		r.slope(L, 1.15, L-0.85, 1.95, paint, false)
		r.slope(L-0.85, 1.95, L-1.4, yt, paint, true)
	case "bed":
		r.slope(L-1.0, 1.15, L-1.6, yt, paint, true)
		o := p.world(x0, 0, 0)
		r.face(r.layer, o, vec3{0, 0, -1}, vec3{0, 1, 0}, vec3{-p.f, 0, 0}, rect(0, sp.bodyTop, sp.width, yt), 1, r.paintSurf(paint, 0, func(x, y float64, a rgb) rgb {
			if y > sp.bodyTop+0.25 && y < yt-0.1 {
				return srgb(26, 30, 34)
			}
			return a
		}))
	default:
		r.slope(L, 2.05, L-0.32, yt-0.12, paint, true)
	}
	// the front face, when the camera is ahead of the vehicle
	o := p.world(L, 0, 0)
	u := vec3{0, 0, -1}
	v := vec3{0, 1, 0}
	n := vec3{p.f, 0, 0}
	top := 2.05
	if sp.body == "van" || sp.body == "bed" {
		top = 1.15
	}
	r.face(r.layer, o, u, v, n, rect(0, 0.4, sp.width, top), 1, func(a, b float64) (rgb, float64, float64) {
		c := paint
		g := 0.2
		switch {
		case b < 0.95:
			c = srgb(70, 70, 72)
			if math.Abs(a-sp.width/2) < 0.22 && b > 0.55 && b < 0.7 {
				c = srgb(230, 180, 20) // the front plate
			}
		case b < 1.22 && (a < 0.6 || a > sp.width-0.6):
			c, g = srgb(210, 215, 220), 0.6 // headlamps
		case b > 1.3 && b < top-0.1 && a > 0.5 && a < sp.width-0.5 && fmod(b*12, 1) < 0.5:
			c = srgb(30, 30, 30) // grille
		}
		alb, gl := r.finish(c, g, L, b, 0.6, true)
		return alb, gl, 1
	})
}

// slope draws a face across the vehicle from local (x0, y0) up to (x1, y1): a windscreen of
// dark glass in a painted frame, or a painted bonnet.
func (r *renderer) slope(x0, y0, x1, y1 float64, paint rgb, glass bool) {
	p := r.pl
	w := p.sp.width
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	o := p.world(x0, y0, 0)
	v := vec3{p.f * dx / l, dy / l, 0}
	n := vec3{p.f * dy / l, -dx / l, 0} // toward the front and up, for a face leaning back
	r.face(r.layer, o, vec3{0, 0, -1}, v, n, rect(0, 0, w, l), 1, func(a, b float64) (rgb, float64, float64) {
		if !glass || a < 0.08 || a > w-0.08 || b > l-0.06 || b < 0.04 {
			return paint, 0.08, 1
		}
		return srgb(26, 30, 34), 0.3, 1
	})
}

// roof draws a horizontal face at height y over local x from xa to xb, across the width.
func (r *renderer) roof(y, xa, xb float64, surf surfFn) {
	p := r.pl
	o := p.world(0, y, 0)
	r.face(r.layer, o, vec3{p.f, 0, 0}, vec3{0, 0, -1}, vec3{0, 1, 0}, rect(xa, 0.02, xb, p.sp.width-0.02), 1, func(a, b float64) (rgb, float64, float64) {
		return surf(a, y)
	})
}

func solidSurf(c rgb, gloss float64) surfFn {
	return func(a, b float64) (rgb, float64, float64) { return c, gloss, 1 }
}

func (r *renderer) body() {
	p := r.pl
	sp := p.sp
	t := p.t
	paint := t.Body.lin()
	x0, x1, yb, yt := sp.bodyX0, sp.bodyX1, sp.bodyBot, sp.bodyTop
	tape := func(x, y float64, a rgb) (rgb, bool) {
		if y > yb+0.05 && y < yb+0.11 {
			if int(math.Floor((x+100)/0.3))%2 == 0 {
				c := srgb(200, 30, 30)
				if r.env.lamp > 0 {
					c = c.mul(5)
				}
				return c, true
			}
			c := srgb(235, 235, 235)
			if r.env.lamp > 0 {
				c = c.mul(5)
			}
			return c, true
		}
		return a, false
	}
	switch sp.body {
	case "box":
		// subframe and hinge
		r.side(rect(x0+0.15, sp.frameY1-0.02, x1, yb), -0.12, 0.6, func(x, y float64) (rgb, float64, float64) {
			alb, g := r.finish(srgb(40, 40, 42), 0.1, x, y, 1, true)
			return alb, g, 1
		})
		r.side(rect(x0, yb, x1, yt), 0, 1, r.paintSurf(paint, 0.75, func(x, y float64, a rgb) rgb {
			if c, ok := tape(x, y, a); ok {
				return c
			}
			if y > yt-0.12 {
				return a.mul(1.12)
			}
			if y < yb+0.04 {
				return a.mul(0.6)
			}
			rib := fmod(x-x0+100, 0.75)
			if rib < 0.05 {
				return a.mul(1.15)
			}
			if rib < 0.075 {
				return a.mul(0.7)
			}
			return a
		}))
		if t.Lid {
			lid := paint.mul(0.9)
			r.side([][2]float64{{x0 + 0.02, yt}, {x1 - 0.02, yt}, {x1 - 0.1, yt + 0.2}, {x0 + 0.1, yt + 0.22}}, -0.05, 1, r.paintSurf(lid, 0, func(x, y float64, a rgb) rgb {
				if y < yt+0.03 {
					return a.mul(0.5)
				}
				return a
			}))
		} else if t.Seed%3 != 0 {
			// an open box heaped with spoil, or a tarpaulin over it: above the wheels, not on them
			tarp := t.Seed%2 == 0
			heap := [][2]float64{{x0 + 0.1, yt}}
			for i := 0; i <= 12; i++ {
				x := x0 + 0.1 + (x1-x0-0.2)*float64(i)/12
				h := 0.15 + 0.35*math.Sin(math.Pi*float64(i)/12)*(0.7+0.6*hashf(int32(i), 1, t.Seed))
				heap = append(heap, [2]float64{x, yt + h})
			}
			heap = append(heap, [2]float64{x1 - 0.1, yt})
			r.side(heap, -0.4, 1, func(x, y float64) (rgb, float64, float64) {
				if tarp {
					c := srgb(38, 96, 58)
					if fmod(x*30, 1) < 0.3 || fmod(y*30, 1) < 0.3 {
						c = c.mul(0.5)
					}
					return c, 0, 1
				}
				return mudColour(MudFresh, fbm(x*6, y*6, 3, t.Seed+80)).mul(0.8 + 0.4*vnoise(x*30, y*30, t.Seed+81)), 0, 1
			})
		}
		// the rear face
		o := p.world(x0, 0, 0)
		r.face(r.layer, o, vec3{0, 0, -1}, vec3{0, 1, 0}, vec3{-p.f, 0, 0}, rect(0, yb, sp.width, yt), 1, func(a, b float64) (rgb, float64, float64) {
			c := paint
			if a > 0.45 && a < sp.width-0.45 && b > yb+0.45 && b < yb+1.1 {
				c = srgb(236, 236, 232) // the enlarged number
				if b > yb+0.55 && b < yb+1.0 && fmod(a*3.2, 1) < 0.62 && hashf(int32(a*3.2), int32(b*8), t.Seed) < 0.7 {
					c = srgb(20, 20, 20)
				}
			}
			if b < yb+0.2 && (a < 0.35 || a > sp.width-0.35) {
				c = srgb(180, 20, 20).mul(2)
			}
			alb, g := r.finish(c, 0.15, x0, b, 0.7, true)
			return alb, g, 1
		})
		// the top, seen from a high camera
		if r.cam.pos.Y > yt+0.3 {
			o := p.world(0, yt+0.2, 0)
			r.face(r.layer, o, vec3{p.f, 0, 0}, vec3{0, 0, -1}, vec3{0, 1, 0}, rect(x0, 0.05, x1, sp.width-0.05), 1, func(a, b float64) (rgb, float64, float64) {
				if t.Lid {
					c := paint.mul(0.9)
					if fmod(a, 0.9) < 0.04 {
						c = c.mul(0.6)
					}
					return c, 0.15, 1
				}
				return mudColour(MudFresh, fbm(a*4, b*4, 3, t.Seed+82)), 0, 1
			})
		}
	case "drum":
		r.side(rect(x0+0.1, sp.frameY1-0.02, x1, yb), -0.12, 0.6, func(x, y float64) (rgb, float64, float64) {
			alb, g := r.finish(srgb(40, 40, 42), 0.1, x, y, 1, true)
			return alb, g, 1
		})
		// the drum: a solid of revolution about a tilted axis, drawn by its outline
		fx, fy := x1-0.1, 2.25
		rx, ry := x0+0.3, 3.05
		// the pedestals that carry the drum, and the water tank behind the cab
		r.side([][2]float64{{x1 - 0.5, yb}, {x1 - 0.05, yb}, {x1 - 0.15, fy}, {x1 - 0.4, fy}}, -0.35, 0.8, r.paintSurf(srgb(44, 44, 46), 0.5, nil))
		r.side([][2]float64{{x0 + 0.6, yb}, {x0 + 1.3, yb}, {x0 + 1.1, ry - 0.3}, {x0 + 0.8, ry - 0.3}}, -0.35, 0.8, r.paintSurf(srgb(44, 44, 46), 0.5, nil))
		r.side(rect(x1-0.7, yb+0.05, x1-0.1, yb+0.55), -0.1, 0.9, r.paintSurf(srgb(196, 198, 200), 0.6, nil))
		ax := vec3{rx - fx, ry - fy, 0}.norm()
		nx, ny := -ax.Y, ax.X
		rho := func(s float64) float64 {
			switch {
			case s < 0.3:
				return 0.8 + (1.15-0.8)*s/0.3
			default:
				return 1.15 - (1.15-0.45)*(s-0.3)/0.7
			}
		}
		var top, bot [][2]float64
		l := math.Hypot(rx-fx, ry-fy)
		for i := 0; i <= 24; i++ {
			s := float64(i) / 24
			cx, cy := fx+ax.X*s*l, fy+ax.Y*s*l
			rr := rho(s)
			top = append(top, [2]float64{cx + nx*rr, cy + ny*rr})
			bot = append(bot, [2]float64{cx - nx*rr, cy - ny*rr})
		}
		poly := append([][2]float64{}, top...)
		for i := len(bot) - 1; i >= 0; i-- {
			poly = append(poly, bot[i])
		}
		stripe := []rgb{srgb(200, 40, 30), srgb(30, 70, 160), srgb(230, 120, 20), srgb(40, 120, 60)}[nil2rng(t.Seed).Intn(4)]
		drum := paint
		if t.Seed%2 == 0 {
			drum = srgb(225, 225, 220)
		}
		r.side(poly, -0.5, 1, func(x, y float64) (rgb, float64, float64) {
			// position across the drum, -1 bottom .. 1 top
			s := ((x-fx)*ax.X + (y-fy)*ax.Y) / l
			cx, cy := fx+ax.X*s*l, fy+ax.Y*s*l
			k := clamp(((x-cx)*nx+(y-cy)*ny)/rho(clamp(s, 0, 1)), -1, 1)
			c := drum
			if fmod(s*5+math.Asin(k)*0.8+10, 1) < 0.22 {
				c = stripe
			}
			c = c.mul(0.45 + 0.55*math.Sqrt(1-k*k)*0.6 + 0.35*k)
			alb, g := r.finish(c, 0.25, x, y, 0.3, true)
			return alb, g, 1
		})
	case "flat":
		r.side(rect(x0, yb, x1, yb+0.18), 0, 0.8, func(x, y float64) (rgb, float64, float64) {
			alb, g := r.finish(srgb(50, 50, 52), 0.1, x, y, 0.9, true)
			return alb, g, 1
		})
		r.side(rect(x0, yb+0.18, x1, yt), 0, 1, r.paintSurf(paint, 0.6, func(x, y float64, a rgb) rgb {
			if c, ok := tape(x, y-0.15, a); ok {
				return c
			}
			if fmod(y-yb, 0.2) < 0.025 || fmod(x-x0+100, 1.8) < 0.04 {
				return a.mul(0.7)
			}
			return a
		}))
		r.roof(yb+0.18, x0, x1, solidSurf(srgb(58, 52, 46), 0.05))
		if t.Seed%2 == 0 { // a load of steel bar
			r.side(rect(x0+0.3, yt, x1-0.4, yt+0.45), -0.6, 1, func(x, y float64) (rgb, float64, float64) {
				c := srgb(90, 86, 82).mul(0.6 + 0.6*vnoise(x*2, y*40, t.Seed+83))
				return mix(c, srgb(120, 66, 36), 0.4*vnoise(x*3, y*3, t.Seed+84)), 0.1, 1
			})
		}
	case "bed":
		r.roof(yb+0.12, x0+0.05, x1-0.05, solidSurf(srgb(40, 40, 42), 0.05))
		r.side([][2]float64{{x0, yb}, {x1, yb}, {x1, yt}, {x0 + 0.05, yt}, {x0, yt - 0.1}}, 0, 1, r.paintSurf(t.Cab.lin(), 0.8, func(x, y float64, a rgb) rgb {
			if y > yt-0.05 {
				return a.mul(1.1)
			}
			return a
		}))
	case "van":
		// the van's body is its cab; windows along the side
		for i := 0; i < 2; i++ {
			wx := 0.5 + float64(i)*1.35
			r.side(rect(wx, 1.4, wx+1.05, 1.95), 0.005, 1, solidSurf(srgb(22, 26, 30), 0.5))
		}
	}
}

func nil2rng(seed uint32) *seedRand { return &seedRand{seed} }

// seedRand picks deterministically from a seed, for choices made while drawing.
type seedRand struct{ s uint32 }

func (s *seedRand) Intn(n int) int { return int(hash2(int32(s.s), 17, 3) % uint32(n)) }

func (r *renderer) fenders() {
	p := r.pl
	sp := p.sp
	t := p.t
	R := sp.tyreR
	col := srgb(30, 30, 32)
	if t.Seed%4 == 1 {
		col = t.Guard.lin()
	}
	surf := func(x, y float64) (rgb, float64, float64) {
		a := col.mul(0.9 + 0.2*vnoise(x*5, y*5, t.Seed+85))
		alb, g := r.finish(a, 0.15, x, y, 1.2, false)
		return alb, g, 1
	}
	if R < 0.45 {
		return
	}
	// the rear group shares one flat fender; others have an arc each
	var rear []axle
	for _, a := range sp.axles {
		if a.dual {
			rear = append(rear, a)
		}
	}
	for _, a := range sp.axles {
		if a.dual {
			continue
		}
		r.side(arc(a.x, R, R+0.05, R+0.14, rad(10), rad(170), 16), 0.04, 0.95, surf)
	}
	if len(rear) > 0 {
		xa, xb := rear[0].x-R-0.15, rear[len(rear)-1].x+R+0.15
		r.side([][2]float64{{xa, 1.0}, {xa + 0.1, 2*R + 0.1}, {xb - 0.1, 2*R + 0.1}, {xb, 1.0}, {xb, 2*R + 0.02}, {xa, 2*R + 0.02}}, 0.04, 0.95, surf)
		r.side(rect(xa, 2*R+0.0, xb, 2*R+0.14), 0.04, 0.95, surf)
		// the rubber flap behind the last axle
		r.side(rect(xa-0.05, 0.28, xa+0.02, 2*R+0.1), 0.0, 0.8, surf)
	}
}

func (r *renderer) farWheel(a axle) {
	sp := r.pl.sp
	R := sp.tyreR
	r.side(disc(a.x, R, R, 40), -sp.width+sp.tyreW, 0.35, func(x, y float64) (rgb, float64, float64) {
		// the inner face of a far wheel: the back of the rim, grimy
		d := math.Hypot(x-a.x, y-R)
		if d < sp.rimR {
			return srgb(52, 52, 52), 0, 1
		}
		return srgb(24, 24, 25), 0, 1
	})
}

// wheel draws a near-side wheel: its tread, then its face (sidewall, rim, hub), with mud.
func (r *renderer) wheel(a axle) {
	p := r.pl
	sp := p.sp
	t := p.t
	R, rimR := sp.tyreR, sp.rimR
	tw := sp.tyreW
	if a.dual {
		tw = 2*sp.tyreW + 0.02
	}
	rubber := mix(srgb(30, 30, 32), srgb(78, 78, 80), t.TyreGrey)
	// tread: the hull of the outer and inner circles
	var pts []pt
	for _, z := range []float64{0.02, 0.02 - tw} {
		for i := 0; i < 40; i++ {
			th := 2 * math.Pi * float64(i) / 40
			q, _, ok := r.cam.project(p.world(a.x+R*math.Cos(th), R+R*math.Sin(th), z))
			if !ok {
				return
			}
			pts = append(pts, q)
		}
	}
	midO := p.world(a.x, R, 0.02-tw/2)
	r.layer.fill(hull(pts), func(x, y float64) (rgb, float64) {
		d := r.cam.ray(x, y)
		// where the ray meets the tyre's mid plane gives the angle around the tread
		wp, ok := r.cam.hitPlaneZ(x, y, midO.Z)
		if !ok {
			return rgb{}, 0
		}
		u, v := (wp.X-midO.X)*p.f, wp.Y-midO.Y
		th := math.Atan2(v, u)
		n := vec3{p.f * math.Cos(th), math.Sin(th), 0}
		alb := rubber.mul(0.9)
		if fmod(th*R/0.07+100, 1) < 0.35+0.3*(1-t.Tread) {
			alb = alb.mul(0.55)
		}
		gloss := 0.05
		ms := r.mud.wheel(u, v, R*0.97, th, R, rimR)
		alb = mix(alb, ms.alb, ms.alpha)
		gloss = lerp(gloss, ms.gloss, ms.alpha)
		if t.Wet > 0 {
			alb, gloss = wetten(alb, gloss, th*R, wp.Z, t.Wet, t.Seed+1)
		}
		return r.lit(wp, n, d, alb, gloss, 0.8), 1
	})
	rim := t.Rim.lin()
	holes := float64(sp.holes)
	r.side(disc(a.x, R, R, 64), 0.02, 0.9, func(x, y float64) (rgb, float64, float64) {
		u, v := x-a.x, y-R
		rr := math.Hypot(u, v)
		if rr > R {
			return rgb{}, 0, 0
		}
		th := math.Atan2(v, u)
		var alb rgb
		gloss := 0.05
		steel := false
		switch {
		case rr > rimR+0.015:
			// sidewall: a bulge lit from the sky above
			k := (rr - rimR) / (R - rimR)
			bulge := math.Sin(k * math.Pi)
			alb = rubber.mul(0.85 + 0.5*bulge*(0.5+0.5*math.Sin(th)))
			if k > 0.62 && k < 0.76 {
				seg := math.Floor((th + math.Pi) / 0.05)
				if hashf(int32(seg), int32(a.x*10), t.Seed) < 0.45 {
					alb = alb.mul(1.5) // raised lettering
				}
			}
			if k > 0.96 {
				alb = alb.mul(0.8)
			}
		case rr > rimR:
			alb = rubber.mul(0.5)
		default:
			steel = true
			q := rr / rimR
			depth := 1.0
			if a.dual {
				depth = 0.7 // the outer wheel of a pair is dished inward
			}
			switch {
			case q > 0.9:
				alb = rim.mul(0.95)
				gloss = 0.2
			case q > 0.78:
				alb = rim.mul(0.45 * depth)
			case q > 0.52:
				alb = rim.mul(0.85 * depth)
				ang := fmod(th+2*math.Pi, 2*math.Pi/holes) - math.Pi/holes
				if math.Abs(ang) < 0.35*math.Pi/holes*2 && math.Abs(q-0.65) < 0.09 {
					alb = srgb(14, 14, 14)
					steel = false
				}
			case q > 0.4:
				alb = rim.mul(0.75 * depth)
			default:
				alb = srgb(60, 60, 62).mul(depth)
				stud := fmod(th+2*math.Pi, 2*math.Pi/holes) - math.Pi/holes
				if math.Abs(q-0.3) < 0.05 && math.Abs(stud) < 0.18 {
					alb = srgb(180, 180, 178)
					gloss = 0.3
				}
				if q < 0.16 {
					alb = srgb(120, 120, 122).mul(depth)
					gloss = 0.3
				}
			}
		}
		if steel && t.Rust > 0 {
			n := warped(u*12, v*12, t.Seed+90)
			k := smoothstep(1-0.35*t.Rust, 1-0.35*t.Rust+0.06, n)
			alb = mix(alb, mix(srgb(150, 76, 36), srgb(100, 56, 32), vnoise(u*40, v*40, t.Seed+91)), k*0.85)
		}
		ms := r.mud.wheel(u, v, rr, th, R, rimR)
		alb = mix(alb, ms.alb, ms.alpha)
		gloss = lerp(gloss, ms.gloss, ms.alpha)
		if t.Wet > 0 {
			alb, gloss = wetten(alb, gloss, u, v, t.Wet, t.Seed+2)
			if rr > rimR && math.Sin(th) > 0.3 {
				gloss += 0.12 * t.Wet // a wet sheen on the upper sidewall
			}
		}
		return alb, gloss, 1
	})
}
