package yardsim

import "math"

// vec is a point or direction in the yard: x along the road (towards the truck's front), y away
// from the camera across the road, z up; metres.
type vec struct{ x, y, z float64 }

func (a vec) sub(b vec) vec       { return vec{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec) add(b vec) vec       { return vec{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec) scale(k float64) vec { return vec{a.x * k, a.y * k, a.z * k} }
func (a vec) dot(b vec) float64   { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec) cross(b vec) vec     { return vec{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x} }
func (a vec) norm() vec           { return a.scale(1 / math.Sqrt(a.dot(a))) }
func (a vec) length() float64     { return math.Sqrt(a.dot(a)) }

// camera is a pinhole with one-term barrel distortion, placed in the yard.
type camera struct {
	pos            vec
	right, fwd, up vec
	f, k1          float64 // focal length in pixels; distortion (distorted r grows slower than r)
	w, h           int
}

// newCamera points a camera at pos with yaw (radians, positive turns towards the truck's front),
// pitch (positive looks down) and roll.
func newCamera(pos vec, yaw, pitch, roll, f, k1 float64, w, h int) camera {
	fwd := vec{math.Sin(yaw) * math.Cos(pitch), math.Cos(yaw) * math.Cos(pitch), -math.Sin(pitch)}
	r0 := vec{math.Cos(yaw), -math.Sin(yaw), 0}
	u0 := r0.cross(fwd)
	right := r0.scale(math.Cos(roll)).add(u0.scale(math.Sin(roll)))
	up := r0.scale(-math.Sin(roll)).add(u0.scale(math.Cos(roll)))
	return camera{pos: pos, right: right, fwd: fwd, up: up, f: f, k1: k1, w: w, h: h}
}

// ray gives the direction seen through pixel (px, py), pixel centres at +0.5.
func (c camera) ray(px, py float64) vec {
	xd := (px - float64(c.w)/2) / c.f
	yd := (py - float64(c.h)/2) / c.f
	s := 1 + c.k1*(xd*xd+yd*yd)
	xu, yu := xd*s, yd*s
	return c.right.scale(xu).add(c.fwd).add(c.up.scale(-yu)).norm()
}

// project maps a yard point to pixel coordinates; ok is false behind the camera.
func (c camera) project(p vec) (px, py float64, ok bool) {
	v := p.sub(c.pos)
	b := v.dot(c.fwd)
	if b <= 0.05 {
		return 0, 0, false
	}
	xu, yu := v.dot(c.right)/b, -v.dot(c.up)/b
	ru := math.Hypot(xu, yu)
	k := 1.0
	if ru > 1e-9 && c.k1 != 0 {
		// Solve rd*(1+k1*rd^2) = ru by Newton's method.
		rd := ru
		for i := 0; i < 20; i++ {
			g := rd*(1+c.k1*rd*rd) - ru
			d := 1 + 3*c.k1*rd*rd
			rd -= g / d
		}
		k = rd / ru
	}
	return xu*k*c.f + float64(c.w)/2, yu*k*c.f + float64(c.h)/2, true
}
