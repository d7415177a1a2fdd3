package coverscene

import "math"

// The textures are hashes of world coordinates, not draws from a generator, so that a pixel's
// colour does not depend on the order pixels are drawn in (Render draws rows in parallel).

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hash3(seed uint64, a, b int64) uint64 {
	return mix64(seed ^ mix64(uint64(a)*0x9e3779b97f4a7c15^mix64(uint64(b)+0x632be59bd9b4e019)))
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// gauss is a standard normal deviate from a hash (Box-Muller on two halves).
func gauss(h uint64) float64 {
	u1 := (float64(h>>40) + 0.5) / (1 << 24)
	u2 := float64(h&0xffffff) / (1 << 24)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// vnoise is value noise in [0, 1) at (x, y), one lattice point per unit.
func vnoise(seed uint64, x, y float64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int64(fx), int64(fy)
	tx, ty := smooth(x-fx), smooth(y-fy)
	a := unit(hash3(seed, ix, iy))
	b := unit(hash3(seed, ix+1, iy))
	c := unit(hash3(seed, ix, iy+1))
	d := unit(hash3(seed, ix+1, iy+1))
	return lerp(lerp(a, b, tx), lerp(c, d, tx), ty)
}

// fbm sums octaves of value noise; the result is about in [0, 1).
func fbm(seed uint64, x, y float64, oct int) float64 {
	s, amp, norm := 0.0, 1.0, 0.0
	for i := 0; i < oct; i++ {
		s += amp * vnoise(seed+uint64(i)*0x51, x, y)
		norm += amp
		amp *= 0.5
		x, y = x*2.03+17.1, y*2.03-9.7
	}
	return s / norm
}

// worley is cellular noise: the distances to the nearest and second nearest feature points
// (one per unit cell) and the nearest one's hash.
func worley(seed uint64, x, y float64) (f1, f2 float64, id uint64) {
	ix, iy := int64(math.Floor(x)), int64(math.Floor(y))
	f1, f2 = 9, 9
	for dy := int64(-1); dy <= 1; dy++ {
		for dx := int64(-1); dx <= 1; dx++ {
			h := hash3(seed, ix+dx, iy+dy)
			px := float64(ix+dx) + unit(h)
			py := float64(iy+dy) + unit(mix64(h))
			d := math.Hypot(px-x, py-y)
			if d < f1 {
				f2, f1, id = f1, d, h
			} else if d < f2 {
				f2 = d
			}
		}
	}
	return f1, f2, id
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func sstep(e0, e1, x float64) float64 { return smooth(clamp((x-e0)/(e1-e0), 0, 1)) }

type vec struct{ x, y, z float64 }

func (a vec) add(b vec) vec             { return vec{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec) sub(b vec) vec             { return vec{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec) mul(s float64) vec         { return vec{a.x * s, a.y * s, a.z * s} }
func (a vec) dot(b vec) float64         { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec) cross(b vec) vec           { return vec{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x} }
func (a vec) norm() vec                 { return a.mul(1 / math.Sqrt(a.dot(a))) }
func (a vec) hadamard(b vec) vec        { return vec{a.x * b.x, a.y * b.y, a.z * b.z} }
func (a vec) lum() float64              { return 0.2126*a.x + 0.7152*a.y + 0.0722*a.z }
func (a vec) lerp(b vec, t float64) vec { return a.add(b.sub(a).mul(t)) }

// rgb is a colour from 0..255 sRGB-ish numbers, in linear light.
func rgb(r, g, b float64) vec { return vec{lin(r / 255), lin(g / 255), lin(b / 255)} }

func lin(c float64) float64 { return math.Pow(c, 2.2) }
