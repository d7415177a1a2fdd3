package gatesim

import "math"

// vec3 is a point or direction in the world, in metres. X runs along the lane, Y up, Z across
// the lane toward the camera: the near side of a standing truck is the plane Z = 0.
type vec3 struct{ X, Y, Z float64 }

func (a vec3) add(b vec3) vec3      { return vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a vec3) sub(b vec3) vec3      { return vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a vec3) scale(k float64) vec3 { return vec3{a.X * k, a.Y * k, a.Z * k} }
func (a vec3) dot(b vec3) float64   { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}
func (a vec3) norm() vec3 {
	l := math.Sqrt(a.dot(a))
	if l == 0 {
		return a
	}
	return a.scale(1 / l)
}

func rad(deg float64) float64 { return deg * math.Pi / 180 }

// camera is a pinhole rendering onto the canvas, followed by a radial (barrel) warp onto the
// output frame. The canvas has the frame's size; the warp keeps the frame's corners where the
// pinhole puts them and magnifies the centre, as a wide lens with barrel distortion does.
type camera struct {
	pos            vec3
	fwd, right, up vec3
	f, cx, cy      float64
	w, h           int
	k              float64
	halfDiag       float64
}

func newCamera(g Gate) camera {
	yaw, pitch, roll := rad(g.Yaw), rad(g.Pitch), rad(g.Roll)
	fwd := vec3{math.Sin(yaw) * math.Cos(pitch), -math.Sin(pitch), -math.Cos(yaw) * math.Cos(pitch)}
	right := vec3{math.Cos(yaw), 0, math.Sin(yaw)}
	up := right.cross(fwd)
	// roll about the optical axis
	cr, sr := math.Cos(roll), math.Sin(roll)
	right, up = right.scale(cr).add(up.scale(sr)), up.scale(cr).sub(right.scale(sr))
	c := camera{
		pos: vec3{0, g.CamHeight, g.CamDist},
		fwd: fwd, right: right, up: up,
		w: g.Width, h: g.Height,
		cx: float64(g.Width) / 2, cy: float64(g.Height) / 2,
		k: g.Distortion,
	}
	c.f = c.cx / math.Tan(rad(g.HFOV)/2)
	c.halfDiag = math.Hypot(c.cx, c.cy)
	return c
}

// project maps a world point to the canvas; ok is false behind the camera.
func (c camera) project(p vec3) (pt, float64, bool) {
	d := p.sub(c.pos)
	z := d.dot(c.fwd)
	if z < 0.05 {
		return pt{}, z, false
	}
	return pt{c.cx + c.f*d.dot(c.right)/z, c.cy - c.f*d.dot(c.up)/z}, z, true
}

// ray is the direction through a canvas position.
func (c camera) ray(x, y float64) vec3 {
	return c.fwd.add(c.right.scale((x - c.cx) / c.f)).add(c.up.scale(-(y - c.cy) / c.f))
}

// hitPlaneZ intersects the ray through canvas (x, y) with the plane Z = z.
func (c camera) hitPlaneZ(x, y, z float64) (vec3, bool) {
	d := c.ray(x, y)
	if math.Abs(d.Z) < 1e-9 {
		return vec3{}, false
	}
	t := (z - c.pos.Z) / d.Z
	if t <= 0 {
		return vec3{}, false
	}
	return c.pos.add(d.scale(t)), true
}

// polygon projects world points; it drops the polygon when any point is behind the camera.
func (c camera) polygon(ps []vec3) []pt {
	out := make([]pt, 0, len(ps))
	for _, p := range ps {
		q, _, ok := c.project(p)
		if !ok {
			return nil
		}
		out = append(out, q)
	}
	return out
}

// srcOf maps an output pixel to the canvas position it shows (the inverse warp).
func (c camera) srcOf(x, y float64) (float64, float64) {
	if c.k == 0 {
		return x, y
	}
	dx, dy := (x-c.cx)/c.halfDiag, (y-c.cy)/c.halfDiag
	r2 := dx*dx + dy*dy
	s := (1 + c.k*r2) / (1 + c.k)
	return c.cx + dx*s*c.halfDiag, c.cy + dy*s*c.halfDiag
}

// toFrame maps a canvas position to where it appears in the output frame.
func (c camera) toFrame(p pt) pt {
	if c.k == 0 {
		return p
	}
	dx, dy := (p.X-c.cx)/c.halfDiag, (p.Y-c.cy)/c.halfDiag
	ru := math.Hypot(dx, dy)
	if ru == 0 {
		return p
	}
	// solve rd (1 + k rd^2) / (1 + k) = ru by Newton
	rd := ru
	for i := 0; i < 20; i++ {
		f := rd*(1+c.k*rd*rd)/(1+c.k) - ru
		df := (1 + 3*c.k*rd*rd) / (1 + c.k)
		rd -= f / df
	}
	s := rd / ru
	return pt{c.cx + dx*s*c.halfDiag, c.cy + dy*s*c.halfDiag}
}
