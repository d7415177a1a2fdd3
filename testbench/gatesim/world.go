package gatesim

import (
	"math"
)

// placed is a vehicle standing in the lane: its layout and where it is in the world.
type placed struct {
	t      Truck
	sp     spec
	xr     float64 // world X of its rear
	f      float64 // +1 or -1: the direction it faces
	z0     float64 // world Z of its near side
	boxes  []aabb  // what casts shadows: the body
	wheels []cyl   // and the wheels
}

type aabb struct{ min, max vec3 }

func place(g Gate, t Truck) *placed {
	sp := t.spec()
	f := float64(g.Facing)
	p := &placed{t: t, sp: sp, f: f, z0: t.Lateral}
	p.xr = g.StopX + t.Offset - f*sp.length/2
	box := func(x0, x1, y0, y1, z0, z1 float64) {
		a, b := p.world(x0, y0, z0), p.world(x1, y1, z1)
		p.boxes = append(p.boxes, aabb{
			vec3{math.Min(a.X, b.X), math.Min(a.Y, b.Y), math.Min(a.Z, b.Z)},
			vec3{math.Max(a.X, b.X), math.Max(a.Y, b.Y), math.Max(a.Z, b.Z)}})
	}
	box(sp.bodyX0, sp.length, sp.frameY0, sp.cabBottom+0.2, -sp.width, 0) // chassis
	box(sp.bodyX0, sp.bodyX1, sp.frameY0, sp.bodyTop, -sp.width, 0)       // body
	box(sp.cabX0, sp.length, sp.cabBottom, sp.cabTop, -sp.width, 0)       // cab
	for _, a := range sp.axles {
		c := p.world(a.x, sp.tyreR, 0)
		p.wheels = append(p.wheels, cyl{c.X, c.Y, sp.tyreR, p.z0 - sp.width, p.z0})
	}
	return p
}

// cyl is a wheel pair seen as one cylinder across the vehicle (axis along Z).
type cyl struct{ x, y, r, z0, z1 float64 }

// hit says whether the ray from o along d meets the cylinder.
func (c cyl) hit(o, d vec3) bool {
	ox, oy := o.X-c.x, o.Y-c.y
	a := d.X*d.X + d.Y*d.Y
	if a < 1e-12 {
		return false
	}
	b := ox*d.X + oy*d.Y
	cc := ox*ox + oy*oy - c.r*c.r
	disc := b*b - a*cc
	if disc < 0 {
		return false
	}
	sq := math.Sqrt(disc)
	t0, t1 := (-b-sq)/a, (-b+sq)/a
	if t1 < 0 {
		return false
	}
	t0 = math.Max(t0, 0)
	// the z range over [t0, t1] must overlap the cylinder's length
	za, zb := o.Z+d.Z*t0, o.Z+d.Z*t1
	if za > zb {
		za, zb = zb, za
	}
	return zb >= c.z0 && za <= c.z1
}

func (p *placed) world(x, y, z float64) vec3 { return vec3{p.xr + p.f*x, y, p.z0 + z} }

func (p *placed) localX(X float64) float64 { return (X - p.xr) * p.f }

// hitsBox says whether the ray from o along d meets the box.
func (b aabb) hit(o, d vec3) bool {
	tmin, tmax := 0.0, 1e9
	for i := 0; i < 3; i++ {
		var oi, di, lo, hi float64
		switch i {
		case 0:
			oi, di, lo, hi = o.X, d.X, b.min.X, b.max.X
		case 1:
			oi, di, lo, hi = o.Y, d.Y, b.min.Y, b.max.Y
		default:
			oi, di, lo, hi = o.Z, d.Z, b.min.Z, b.max.Z
		}
		if math.Abs(di) < 1e-12 {
			if oi < lo || oi > hi {
				return false
			}
			continue
		}
		t1, t2 := (lo-oi)/di, (hi-oi)/di
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		tmin = math.Max(tmin, t1)
		tmax = math.Min(tmax, t2)
		if tmin > tmax {
			return false
		}
	}
	return true
}

// sunBlocked says whether the vehicle shades world point q from the sun.
func (p *placed) sunBlocked(q, sun vec3) bool {
	if p == nil {
		return false
	}
	for _, b := range p.boxes {
		if b.hit(q, sun) {
			return true
		}
	}
	for _, w := range p.wheels {
		if w.hit(q, sun) {
			return true
		}
	}
	return false
}

// underAO is how much sky a road point sees given the vehicle above it (1 open).
func (p *placed) underAO(X, Z float64) float64 {
	if p == nil {
		return 1
	}
	x := p.localX(X)
	z := Z - p.z0
	dx := math.Max(p.sp.bodyX0-x, x-p.sp.length)
	dz := math.Max(-p.sp.width-z, z)
	d := math.Max(dx, dz) // <0 inside the footprint
	h := p.sp.frameY0
	return 1 - (1-0.18-0.1*h)*smoothstep(0.9*h, -0.5, d)
}
