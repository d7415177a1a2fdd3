package gatesim

import "math"

// hash2 is a lattice hash: the same cell and seed give the same value on every machine.
func hash2(ix, iy int32, seed uint32) uint32 {
	h := uint32(ix)*0x8da6b343 ^ uint32(iy)*0xd8163841 ^ (seed+0x9e3779b9)*0xcb1ab31f
	h ^= h >> 13
	h *= 0x5bd1e995
	h ^= h >> 15
	h *= 0x27d4eb2d
	h ^= h >> 16
	return h
}

func hashf(ix, iy int32, seed uint32) float64 {
	return float64(hash2(ix, iy, seed)>>8) / float64(1<<24)
}

// vnoise is smooth value noise in [0,1).
func vnoise(x, y float64, seed uint32) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int32(fx), int32(fy)
	tx, ty := x-fx, y-fy
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	a := hashf(ix, iy, seed)
	b := hashf(ix+1, iy, seed)
	c := hashf(ix, iy+1, seed)
	d := hashf(ix+1, iy+1, seed)
	return a + (b-a)*tx + (c-a)*ty + (a-b-c+d)*tx*ty
}

// fbm sums octaves of value noise; the result stays in [0,1).
func fbm(x, y float64, oct int, seed uint32) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for i := 0; i < oct; i++ {
		sum += amp * vnoise(x, y, seed+uint32(i)*101)
		norm += amp
		amp *= 0.5
		x, y = x*2.03+17.1, y*2.03+3.7
	}
	return sum / norm
}

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func smoothstep(e0, e1, x float64) float64 {
	t := clamp((x-e0)/(e1-e0), 0, 1)
	return t * t * (3 - 2*t)
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// fmod is x modulo m, in [0, m) for m > 0 (math.Mod is much slower).
func fmod(x, m float64) float64 { return x - m*math.Floor(x/m) }
