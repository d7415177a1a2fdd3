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
	dir         float64 // +1: the vehicle drives toward +x in its own frame (always)
	roadMud     float64 // the same palette on the road
	wetOverride bool
}

func (m *mudModel) shade(u, v, n, thr float64) mudSurface {
	kind := m.kind
	k2 := vnoise(u*1.7+5, v*1.7, m.seed+9)
	if k2 > 0.62 {
		kind = m.kind2
	}
	tone := fbm(u*14, v*14, 2, m.seed+3)
	alb := mudColour(kind, tone)
	// thick clods catch more light at their middle, thin smears show darker at their edges
	thick := clamp((n-thr)*6, 0, 1)
	alb = alb.mul(0.72 + 0.4*thick)
	gloss := 0.0
	switch kind {
	case MudWet:
		if vnoise(u*60, v*60, m.seed+5) > 0.72 {
			gloss = 0.5
		} else {
			gloss = 0.12
		}
	case MudDried:
		c := math.Abs(vnoise(u*38, v*38, m.seed+6) - 0.5)
		if c < 0.035 {
			alb = alb.mul(0.55) // cracks in the crust
		}
	case MudFresh, MudClay:
		if vnoise(u*70, v*70, m.seed+5) > 0.8 {
			gloss = 0.2
		}
	}
	return mudSurface{alpha: smoothstep(thr, thr+0.06, n), alb: alb, gloss: gloss}
}

// body is mud on the side of the vehicle at local (x, y) metres; low is how exposed to spray
// the part is (1 for guards and chassis, less for the box).
func (m *mudModel) body(x, y, low float64) mudSurface {
	if m.amount <= 0 {
		return mudSurface{}
	}
	if m.amount*low*1.0 < 0.03 {
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
		reach := 0.35
		if dx < 0 {
			reach = 0.6
		}
		dens = math.Max(dens, fastDecay(d/reach))
	}
	dens = math.Max(dens, 0.8*fastDecay(y/0.55))
	dens *= m.amount * low
	if dens < 0.03 {
		return mudSurface{}
	}
	// blobs, fine dots and drips
	n := 0.55*fbm(x*7, y*7, 3, m.seed) + 0.45*vnoise(x*46, y*46, m.seed+1)
	drip := vnoise(x*30, y*2.2, m.seed+2)
	n = math.Max(n, drip*0.95)
	thr := 1 - dens*0.75
	s := m.shade(x, y, n, thr)
	// a thin film under the splatter
	film := clamp(dens-0.35, 0, 1) * 0.6
	if film > s.alpha {
		s.alpha = film
	}
	return s
}

// wheel is mud on a wheel at polar (r, th) about its hub (th from +x, counter-clockwise).
func (m *mudModel) wheel(u, v, r, th, R, rimR float64) mudSurface {
	if m.amount <= 0 {
		return mudSurface{}
	}
	low := 0.5 - 0.5*math.Sin(th) // 1 at the bottom
	var dens float64
	switch {
	case r > 0.9*R:
		dens = 0.45 + 0.75*m.amount
	case r > rimR:
		dens = m.amount * (0.55 + 0.5*low)
	default:
		dens = m.amount * (0.25 + 0.6*low)
		if r > 0.82*rimR {
			dens += 0.25 * m.amount // packed in the rim well
		}
	}
	dens = clamp(dens*0.95, 0, 1)
	n := 0.6*fbm(u*9, v*9, 3, m.seed+11) + 0.4*vnoise(u*40, v*40, m.seed+12)
	thr := 1 - dens*0.8
	return m.shade(u, v, n, thr)
}

// road is mud on the road at world (X, Z): patches and tracks, beside and under a truck.
func (m *mudModel) road(X, Z, trackZ0, trackZ1 float64) mudSurface {
	if m.roadMud <= 0 {
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
	n := 0.5*fbm(X*3, Z*3, 3, m.seed+23) + 0.5*vnoise(X*30, Z*30, m.seed+24)
	s := m.shade(X, Z, n, 1-dens)
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
