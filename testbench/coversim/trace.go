package coversim

import "math"

// hit is where a ray ended and what it passed on the way (a dust net lets some light through).
type hit struct {
	t      float64
	mat    int
	p      Vec3 // world
	lp     Vec3 // truck-local
	n      Vec3 // world normal
	netT   float64
	netLP  Vec3
	netN   Vec3
	hasNet bool
}

// rayBox is the slab test: the entry distance and the local normal of the face entered.
func rayBox(o, d Vec3, b box) (float64, Vec3, bool) {
	tmin, tmax := -math.MaxFloat64, math.MaxFloat64
	var n Vec3
	axes := [3][4]float64{
		{o.X, d.X, b.min.X, b.max.X},
		{o.Y, d.Y, b.min.Y, b.max.Y},
		{o.Z, d.Z, b.min.Z, b.max.Z},
	}
	for a, ax := range axes {
		if math.Abs(ax[1]) < 1e-12 {
			if ax[0] < ax[2] || ax[0] > ax[3] {
				return 0, n, false
			}
			continue
		}
		t1, t2 := (ax[2]-ax[0])/ax[1], (ax[3]-ax[0])/ax[1]
		sign := -1.0
		if t1 > t2 {
			t1, t2 = t2, t1
			sign = 1
		}
		if t1 > tmin {
			tmin = t1
			n = Vec3{}
			switch a {
			case 0:
				n.X = sign
			case 1:
				n.Y = sign
			default:
				n.Z = sign
			}
		}
		tmax = math.Min(tmax, t2)
		if tmin > tmax || tmax < 1e-4 {
			return 0, n, false
		}
	}
	if tmin < 1e-4 {
		return 0, n, false // starts inside: only shadow rays leaving a surface do this
	}
	return tmin, n, true
}

// interiorSpan is where a local ray crosses the volume above the bed floor between the boards.
func (t *truck) interiorSpan(o, d Vec3) (float64, float64, bool) {
	b := box{v3(t.x0, t.y0, t.F), v3(-t.x0, -t.y0, t.zmax), 0}
	tmin, tmax := 0.0, math.MaxFloat64
	axes := [3][4]float64{
		{o.X, d.X, b.min.X, b.max.X},
		{o.Y, d.Y, b.min.Y, b.max.Y},
		{o.Z, d.Z, b.min.Z, b.max.Z},
	}
	for _, ax := range axes {
		if math.Abs(ax[1]) < 1e-12 {
			if ax[0] < ax[2] || ax[0] > ax[3] {
				return 0, 0, false
			}
			continue
		}
		t1, t2 := (ax[2]-ax[0])/ax[1], (ax[3]-ax[0])/ax[1]
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		tmin, tmax = math.Max(tmin, t1), math.Min(tmax, t2)
		if tmin > tmax {
			return 0, 0, false
		}
	}
	return tmin, tmax, true
}

// marchFields walks a local ray through the interior from t0 to t1 looking for the first
// crossing of the load or of a solid cover; a net crossing is reported on the way.
func (t *truck) marchFields(o, d Vec3, t0, t1, step float64, h *hit) (float64, int, bool) {
	prevT := t0
	p := o.add(d.mul(t0))
	prevCov := 1.0
	if t.covKind != coverNone && t.covered(p.X, p.Y) {
		prevCov = p.Z - t.sample(t.cov, p.X, p.Y)
	}
	for tt := t0; tt <= t1+step; tt += step {
		if tt > t1 {
			tt = t1
		}
		p = o.add(d.mul(tt))
		// the cover lies above the load: look for it first
		if t.covKind != coverNone {
			c := 1.0
			if t.covered(p.X, p.Y) {
				c = p.Z - t.sample(t.cov, p.X, p.Y)
			}
			if c <= 0 && prevCov > 0 {
				a, b := prevT, tt
				for k := 0; k < 6; k++ {
					m := (a + b) / 2
					q := o.add(d.mul(m))
					if t.covered(q.X, q.Y) && q.Z-t.sample(t.cov, q.X, q.Y) <= 0 {
						b = m
					} else {
						a = m
					}
				}
				if t.covKind != coverNet {
					return b, matCover, true
				}
				if h != nil && !h.hasNet {
					h.hasNet = true
					h.netT = b
					h.netLP = o.add(d.mul(b))
				}
			} else if c <= 0 && t.covKind != coverNet {
				// entering under a solid cover's edge: it sits on the boards, so this is its lip
				return tt, matCover, true
			}
			prevCov = c
		}
		if p.Z-t.sample(t.load, p.X, p.Y) <= 0 {
			a, b := prevT, tt
			for k := 0; k < 7; k++ {
				m := (a + b) / 2
				q := o.add(d.mul(m))
				if q.Z-t.sample(t.load, q.X, q.Y) <= 0 {
					b = m
				} else {
					a = m
				}
			}
			return b, matLoad, true
		}
		prevT = tt
		if tt >= t1 {
			break
		}
	}
	return 0, 0, false
}

// traceTruck finds the nearest truck surface along a world ray.
func (s *scene) traceTruck(o, d Vec3, h *hit, maxT float64) bool {
	tr := s.tr
	lo, ld := tr.toLocal(o), tr.dirLocal(d)
	best := maxT
	found := false
	var bn Vec3
	bmat := 0
	for _, b := range tr.boxes {
		tt, n, ok := rayBox(lo, ld, b)
		if ok && tt < best {
			best, bn, bmat, found = tt, n, b.mat, true
		}
	}
	if t0, t1, ok := tr.interiorSpan(lo, ld); ok && t0 < best {
		nh := hit{}
		if tt, m, ok := tr.marchFields(lo, ld, t0, math.Min(t1, best), 0.025, &nh); ok && tt < best {
			best, bmat, found = tt, m, true
			lp := lo.add(ld.mul(tt))
			if m == matLoad {
				bn = tr.normalOf(tr.load, lp.X, lp.Y)
			} else {
				bn = tr.normalOf(tr.cov, lp.X, lp.Y)
			}
		}
		if nh.hasNet && nh.netT < best {
			h.hasNet, h.netT, h.netLP = true, nh.netT, nh.netLP
			h.netN = tr.dirWorld(tr.normalOf(tr.cov, nh.netLP.X, nh.netLP.Y))
		}
	}
	if !found {
		return false
	}
	h.t, h.mat = best, bmat
	h.lp = lo.add(ld.mul(best))
	h.p = o.add(d.mul(best))
	if bmat == matWallOuter {
		// faces of the boards that look into the bed are its inside; their tops are the rim
		switch {
		case bn.Z > 0.5:
			h.mat = matWallTop
		case h.lp.X > tr.x0 && h.lp.X < -tr.x0 && h.lp.Y > tr.y0 && h.lp.Y < -tr.y0:
			h.mat = matWallInner
		case bn.Y != 0 && math.Abs(h.lp.Y) < tr.W/2-tr.wall/2:
			h.mat = matWallInner
		case bn.X != 0 && math.Abs(h.lp.X) < tr.L/2-tr.wall/2:
			h.mat = matWallInner
		}
	}
	h.n = tr.dirWorld(bn)
	return true
}

// trace follows a world ray to the first surface: truck, hoarding, ground or sky.
func (s *scene) trace(o, d Vec3) hit {
	h := hit{t: math.MaxFloat64, mat: matSky}
	far := 400.0
	if d.Z < -1e-6 {
		tg := -o.Z / d.Z
		if tg < far {
			far = tg
			h = hit{t: tg, mat: matGround, p: o.add(d.mul(tg)), n: v3(0, 0, 1)}
		}
	}
	if math.Abs(d.Y) > 1e-6 {
		th := (s.g.HoardingY - o.Y) / d.Y
		if th > 0 && th < far {
			p := o.add(d.mul(th))
			if p.Z >= 0 && p.Z <= 2.6 {
				far = th
				ny := -math.Copysign(1, d.Y)
				h = hit{t: th, mat: matHoarding, p: p, n: v3(0, ny, 0)}
			}
		}
	}
	var th hit
	if s.traceTruck(o, d, &th, far) {
		return th
	}
	if th.hasNet {
		h.hasNet, h.netT, h.netLP, h.netN = true, th.netT, th.netLP, th.netN
	}
	return h
}

// visibility is how much of a light reaches world point p along direction l (at most dist away).
func (s *scene) visibility(p, l Vec3, dist float64) float64 {
	tr := s.tr
	o := p.add(l.mul(0.02))
	lo, ld := tr.toLocal(o), tr.dirLocal(l)
	for _, b := range tr.boxes {
		if tt, _, ok := rayBox(lo, ld, b); ok && tt < dist {
			return 0
		}
	}
	if t0, t1, ok := tr.interiorSpan(lo, ld); ok && t0 < dist {
		nh := hit{}
		if _, _, ok := tr.marchFields(lo, ld, t0, math.Min(t1, dist), 0.06, &nh); ok {
			return 0
		}
		if nh.hasNet {
			return 1 - tr.netAlpha*0.8
		}
	}
	return 1
}
