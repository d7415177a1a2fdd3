package coversim

import "math"

// Vec3 is a point or direction in metres. The world frame has X along the lane in the direction
// trucks leave, Y to the left of a leaving truck, Z up, the ground at Z=0.
type Vec3 struct{ X, Y, Z float64 }

func v3(x, y, z float64) Vec3              { return Vec3{x, y, z} }
func (a Vec3) add(b Vec3) Vec3             { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a Vec3) sub(b Vec3) Vec3             { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a Vec3) mul(s float64) Vec3          { return Vec3{a.X * s, a.Y * s, a.Z * s} }
func (a Vec3) hadamard(b Vec3) Vec3        { return Vec3{a.X * b.X, a.Y * b.Y, a.Z * b.Z} }
func (a Vec3) dot(b Vec3) float64          { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a Vec3) length() float64             { return math.Sqrt(a.dot(a)) }
func (a Vec3) lerp(b Vec3, t float64) Vec3 { return a.mul(1 - t).add(b.mul(t)) }
func (a Vec3) cross(b Vec3) Vec3 {
	return Vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}
func (a Vec3) norm() Vec3 {
	l := a.length()
	if l == 0 {
		return a
	}
	return a.mul(1 / l)
}
func (a Vec3) lum() float64 { return 0.2126*a.X + 0.7152*a.Y + 0.0722*a.Z }

// srgb turns an sRGB colour given in 0..255 into linear light.
func srgb(r, g, b float64) Vec3 {
	f := func(c float64) float64 { return math.Pow(c/255, 2.2) }
	return Vec3{f(r), f(g), f(b)}
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

func smoothstep(a, b, x float64) float64 {
	t := clamp((x-a)/(b-a), 0, 1)
	return t * t * (3 - 2*t)
}

// hash mixes integer lattice coordinates and a seed into 64 well-spread bits (splitmix64).
func hash(x, y int64, seed uint64) uint64 {
	z := uint64(x)*0x9E3779B97F4A7C15 ^ uint64(y)*0xC2B2AE3D27D4EB4F ^ seed*0x165667B19E3779F9
	z ^= z >> 30
	z *= 0xBF58476D1CE4E5B9
	z ^= z >> 27
	z *= 0x94D049BB133111EB
	z ^= z >> 31
	return z
}

func hashf(x, y int64, seed uint64) float64 { return float64(hash(x, y, seed)>>11) / (1 << 53) }

// vnoise is smooth value noise in 0..1 with unit lattice spacing.
func vnoise(x, y float64, seed uint64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int64(fx), int64(fy)
	tx, ty := x-fx, y-fy
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	a := hashf(ix, iy, seed)
	b := hashf(ix+1, iy, seed)
	c := hashf(ix, iy+1, seed)
	d := hashf(ix+1, iy+1, seed)
	return (a*(1-tx)+b*tx)*(1-ty) + (c*(1-tx)+d*tx)*ty
}

// fbm sums octaves of value noise; the result stays in 0..1.
func fbm(x, y float64, seed uint64, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for i := 0; i < octaves; i++ {
		sum += amp * vnoise(x, y, seed+uint64(i)*7919)
		norm += amp
		amp *= 0.5
		x, y = x*2.03+0.17, y*2.03-0.31
	}
	return sum / norm
}

// cells is a Voronoi pattern: the distance to the nearest and second-nearest feature point and
// the nearest cell's id, for chunky loads (broken concrete, brick, clods).
func cells(x, y float64, seed uint64) (d1, d2 float64, id uint64) {
	ix, iy := int64(math.Floor(x)), int64(math.Floor(y))
	d1, d2 = 9, 9
	for dy := int64(-1); dy <= 1; dy++ {
		for dx := int64(-1); dx <= 1; dx++ {
			h := hash(ix+dx, iy+dy, seed)
			px := float64(ix+dx) + float64(h&0xffff)/65536
			py := float64(iy+dy) + float64((h>>16)&0xffff)/65536
			d := math.Hypot(px-x, py-y)
			if d < d1 {
				d2, d1, id = d1, d, h
			} else if d < d2 {
				d2 = d
			}
		}
	}
	return d1, d2, id
}
