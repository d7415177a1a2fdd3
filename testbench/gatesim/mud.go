package gatesim

import "math"

// mudColours are sRGB palettes of each mud kind, sampled by noise across a patch.
var mudColours = map[string][]rgb{
	MudFresh: {srgb(107, 82, 56), srgb(92, 70, 48), srgb(122, 96, 66)},
	MudWet:   {srgb(58, 44, 31), srgb(70, 54, 38), srgb(48, 37, 27)},
	MudDried: {srgb(170, 154, 126), srgb(150, 134, 108), srgb(186, 172, 146)},
	MudClay:  {srgb(128, 80, 52), srgb(140, 112, 76), srgb(112, 72, 46)},
	MudGrey:  {srgb(112, 104, 92), srgb(96, 90, 80), srgb(126, 118, 104)},
}

func mudColour(kind string, t float64) rgb {
	p := mudColours[kind]
	if p == nil {
		p = mudColours[MudFresh]
	}
	t = clamp(t, 0, 0.999) * float64(len(p)-1)
	i := int(t)
	if i >= len(p)-1 {
		return p[len(p)-1]
	}
	return mix(p[i], p[i+1], t-float64(i))
}

// mudSurface is mud on a point of a vehicle: how much covers it, its albedo and gloss.
type mudSurface struct {
	alpha float64
	alb   rgb
	gloss float64
}

// mudModel places mud on a vehicle from where its wheels are: thrown up and back from the
// tyres, caked on the tread and sidewalls, packed into the rims, splashed on guards and chassis.
type mudModel struct {
	amount      float64
	kind, kind2 string
	seed        uint32
	wheels      []axle
	tyreR       float64
	roadMud     float64 // mud on the road, 0..1
	nearX       float64 // road mud lies within reach of this point along the lane
}

func (m *mudModel) shade(u, v, n, thr float64) mudSurface {
	kind := m.kind
	if vnoise(u*1.7+5, v*1.7, m.seed+9) > 0.62 {
		kind = m.kind2
	}
	tone := fbm(u*11+3.1, v*11-1.7, 2, m.seed+3)
	alb := mudColour(kind, tone)
	// thick clods catch more light at their middle, thin smears show darker at their edges
	thick := clamp((n-thr)*5, 0, 1)
	// lumps lit from above: the vertical slope of a fine relief
	bump := vnoise(u*32, v*32+0.6, m.seed+15) - vnoise(u*32, v*32, m.seed+15)
	alb = alb.mul(clamp(0.7+0.45*thick+1.2*bump*thick, 0.3, 1.4))
	gloss := 0.0
	switch kind {
	case MudWet:
		gloss = 0.12
		if vnoise(u*55, v*55, m.seed+5) > 0.74 {
			gloss = 0.45
		}
	case MudDried:
		c := math.Abs(warped(u*9, v*9, m.seed+6) - 0.5)
		if c < 0.018 && thick > 0.3 {
			alb = alb.mul(0.6) // cracks in the crust
		}
	case MudFresh, MudClay:
		if vnoise(u*60, v*60, m.seed+5) > 0.8 {
			gloss = 0.2
		}
	}
	return mudSurface{alpha: smoothstep(thr-0.035, thr+0.035, n), alb: alb, gloss: gloss}
}

// warped is domain-warped fractal noise: blob outlines without the lattice's squares.
func warped(x, y float64, seed uint32) float64 {
	w := fbm(x*0.5+7.3, y*0.5-2.1, 2, seed+77) - 0.5
	// a rotated frame hides the lattice's axes
	rx, ry := 0.8*x-0.6*y+w*1.6, 0.6*x+0.8*y-w*1.6
	return fbm(rx, ry, 4, seed)
}

// dots is coverage by round droplets of mud on a grid of cells: dens is the chance a cell holds one.
func dots(x, y, cell, dens float64, seed uint32) float64 {
	fx, fy := math.Floor(x/cell), math.Floor(y/cell)
	h := hash2(int32(fx), int32(fy), seed)
	if float64(h&0xffff)/65536 > dens {
		return 0
	}
	jx := (fx + 0.3 + 0.4*float64((h>>16)&0xff)/255) * cell
	jy := (fy + 0.3 + 0.4*float64((h>>24)&0xff)/255) * cell
	rad := cell * (0.12 + 0.2*float64((h>>8)&0xff)/255)
	d := math.Hypot(x-jx, y-jy)
	return 1 - smoothstep(rad*0.75, rad, d)
}

// body is mud on the side of the vehicle at local (x, y) metres; low is how exposed to spray
// the part is (1 for guards and chassis, less for the box).
func (m *mudModel) body(x, y, low float64) mudSurface {
	if m.amount*low < 0.03 {
		return mudSurface{}
	}
	dens := 0.0
	for _, a := range m.wheels {
		dx, dy := x-a.x, y-m.tyreR
		d := math.Hypot(dx, dy) - m.tyreR
		if d < 0 {
			d = 0
		}
		// spray goes up and back: behind a wheel (dx < 0) reaches further
		reach := 0.45
		if dx < 0 {
			reach = 0.85
		}
		dens = math.Max(dens, fastDecay(d/reach))
	}
	dens = math.Max(dens, 0.8*fastDecay(y/0.6))
	dens *= m.effective() * low
	if dens < 0.03 {
		return mudSurface{}
	}
	// blobs, droplets and a film
	n := warped(x*6, y*6, m.seed)
	thr := 1 - dens*0.72
	s := m.shade(x, y, n, thr)
	dd := math.Max(dots(x, y, 0.018, dens*0.7, m.seed+1), dots(x+0.3, y, 0.05, dens*0.35, m.seed+2))
	if dd > s.alpha {
		s.alpha = dd
		s.alb = mudColour(m.kind, vnoise(x*40, y*40, m.seed+4)).mul(0.85)
	}
	if film := clamp(dens-0.3, 0, 1) * 0.55 * (0.6 + 0.4*fbm(x*2, y*2, 2, m.seed+8)); film > s.alpha {
		s.alpha = film
	}
	return s
}

// wheel is mud on a wheel at polar (r, th) about its hub (th from +x, counter-clockwise), (u, v)
// the same point in metres.
func (m *mudModel) wheel(u, v, r, th, R, rimR float64) mudSurface {
	if m.amount <= 0 {
		return mudSurface{}
	}
	low := 0.5 - 0.5*math.Sin(th) // 1 at the bottom
	amt := m.effective()
	var dens float64
	switch {
	case r > 0.9*R:
		dens = 0.35 + 0.65*amt // packed in the tread
	case r > rimR:
		dens = amt * (0.45 + 0.45*low)
	default:
		dens = amt * (0.2 + 0.55*low)
		if r > 0.8*rimR {
			dens += 0.3 * amt // packed in the rim well
		}
	}
	dens = clamp(dens, 0, 0.92)
	n := warped(u*8+0.5*r, v*8, m.seed+11)
	thr := 1 - dens*0.75
	s := m.shade(u, v, n, thr)
	// a smear of thinner mud over the lower sidewall and tread
	film := clamp(amt*1.1-0.15, 0, 0.8) * (0.35 + 0.65*low) * (0.5 + 0.5*fbm(u*3, v*3, 2, m.seed+13))
	if r < rimR*0.8 {
		film *= 0.5
	}
	if film > s.alpha {
		f := m.shade(u, v, thr, thr)
		s.alb = mix(f.alb, s.alb, s.alpha/film)
		s.alpha = film
	}
	if d := dots(u, v, 0.02, amt*0.5, m.seed+14); d > s.alpha {
		s.alpha = d
	}
	return s
}

// road is mud on the road at world (X, Z): patches and tracks, beside and under a truck.
func (m *mudModel) road(X, Z, trackZ0, trackZ1 float64) mudSurface {
	if m.roadMud <= 0 || math.Abs(X-m.nearX) > 14 || Z > trackZ0+4 || Z < trackZ1-4 {
		return mudSurface{}
	}
	patch := fbm(X*0.45, Z*0.45, 3, m.seed+21)
	dens := m.roadMud * 0.55 * smoothstep(0.35, 0.75, patch)
	for _, tz := range []float64{trackZ0, trackZ1} {
		if d := math.Abs(Z - tz); d < 0.18 {
			dens = math.Max(dens, m.roadMud*(0.8-2*d)*smoothstep(0.3, 0.6, vnoise(X*0.3, tz, m.seed+22)))
		}
	}
	if dens < 0.02 {
		return mudSurface{}
	}
	n := warped(X*3, Z*3, m.seed+23)
	s := m.shade(X, Z, n, 1-dens*0.9)
	s.alpha *= 0.9
	return s
}

// fastDecay is close to exp(-x) for x >= 0, without the cost of Exp.
func fastDecay(x float64) float64 {
	if x <= 0 {
		return 1
	}
	return 1 / (1 + x + x*x*0.5 + x*x*x*(1.0/6))
}

// effective is how much mud is drawn for the labelled amount: even the least (0.2) must be
// plain to a person looking at the wheels.
func (m *mudModel) effective() float64 {
	if m.amount <= 0 {
		return 0
	}
	return 0.22 + 0.78*m.amount
}
