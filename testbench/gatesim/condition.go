package gatesim

import (
	"math"
	"math/rand"
)

// Lights are the lighting situations of a gate camera.
const (
	LightSun      = "day-sun"     // hard sun, hard shadows
	LightOvercast = "overcast"    // soft, flat
	LightDusk     = "dusk"        // low warm sun, dim, noisy
	LightNightIR  = "night-ir"    // monochrome infrared from the camera's own LEDs: bright centre
	LightNightLED = "night-white" // a white floodlight over the lane, dark surroundings
	LightRain     = "rain"        // overcast, streaks, a wet road
	LightGlare    = "glare"       // low sun behind the truck into the lens
)

// Lights lists every lighting situation.
var Lights = []string{LightSun, LightOvercast, LightDusk, LightNightIR, LightNightLED, LightRain, LightGlare}

// Condition is what varies from frame to frame at a gate: the light, the weather, the camera's
// state and the road beside the truck.
type Condition struct {
	Light        string
	SunAzimuth   float64 // degrees; 0: the sun is behind the camera (lights the truck's side)
	SunElevation float64 // degrees
	ShadowBand   bool    // a hard shadow edge (a building, the canopy) across the truck
	ShadowAt     float64 // where along the truck the edge crosses, 0..1
	ShadowTilt   float64 // the edge's direction, degrees from vertical
	Exposure     float64 // multiplier on the auto exposure
	Noise        float64 // sensor noise, 8-bit levels (standard deviation)
	JPEGQuality  int
	MotionBlur   float64 // pixels along the lane (the truck creeping)
	LensSpots    int     // dirt or water spots on the lens window
	SpotsBrown   bool    // the spots are dried muddy water
	RoadMud      float64 // mud and tyre tracks on the road beside and under the truck (not on it)
	Rain         float64 // streak density
	Glare        float64 // veiling glare
	Person       bool    // a worker stands in view
	LampOff      bool    // at night: the camera's infrared or the floodlight has failed
}

// RandomCondition draws a frame's condition at gate g.
func RandomCondition(rng *rand.Rand, g Gate) Condition {
	c := Condition{Light: Lights[rng.Intn(len(Lights))]}
	c.SunAzimuth = (rng.Float64()*2 - 1) * 80
	c.SunElevation = 20 + rng.Float64()*50
	c.Exposure = math.Exp(rng.NormFloat64() * 0.18)
	c.Noise = 1 + rng.Float64()*2.5
	c.JPEGQuality = 45 + rng.Intn(51)
	switch c.Light {
	case LightSun:
		c.ShadowBand = rng.Float64() < 0.6
	case LightDusk:
		c.SunElevation = 2 + rng.Float64()*8
		c.Noise += 2 + rng.Float64()*3
	case LightNightIR, LightNightLED:
		c.Noise += 3 + rng.Float64()*4
		c.JPEGQuality -= 10
	case LightRain:
		c.Rain = 0.3 + rng.Float64()*0.7
		c.Noise += 1
	case LightGlare:
		c.SunAzimuth = 150 + rng.Float64()*60 // low sun behind the truck
		c.SunElevation = 8 + rng.Float64()*20
		c.Glare = 0.3 + rng.Float64()*0.7
	}
	c.ShadowAt = rng.Float64()
	c.ShadowTilt = (rng.Float64()*2 - 1) * 50
	if rng.Float64() < 0.35 {
		c.MotionBlur = rng.Float64() * 14
	}
	if rng.Float64() < 0.3 {
		c.LensSpots = 1 + rng.Intn(8)
		c.SpotsBrown = rng.Float64() < 0.5
	}
	if rng.Float64() < 0.4 {
		c.RoadMud = 0.2 + rng.Float64()*0.8
	}
	c.Person = rng.Float64() < g.PersonRate
	if c.JPEGQuality < 30 {
		c.JPEGQuality = 30
	}
	return c
}

// env is the light of one frame, in linear units such that a white card facing the sun at noon
// reads about 1 after exposure.
type env struct {
	sunDir   vec3 // toward the sun
	sun      rgb
	sky      rgb // irradiance from the open sky onto an upward face
	bounce   rgb // from the road onto a downward face
	zenith   rgb // sky radiance overhead (background)
	horizon  rgb
	ir       bool
	lamp     float64 // night lamp power
	lampPos  vec3
	lampAxis vec3
	lampCol  rgb
	lampCone float64 // radians (1/e)
	exposure float64

	shadow     bool
	shadowE0   vec3
	shadowM    vec3
	shadowSide float64
}

func newEnv(c Condition, g Gate, cam camera) env {
	az, el := rad(c.SunAzimuth), rad(c.SunElevation)
	// azimuth 0: the sun behind the camera, so toward +Z
	e := env{sunDir: vec3{math.Sin(az) * math.Cos(el), math.Sin(el), math.Cos(az) * math.Cos(el)}.norm()}
	e.exposure = c.Exposure
	switch c.Light {
	case LightSun:
		e.sun = rgb{1, 0.95, 0.86}.mul(2.6)
		e.sky = rgb{0.42, 0.52, 0.72}.mul(1.1)
		e.zenith, e.horizon = rgb{0.25, 0.42, 0.85}.mul(1.6), rgb{0.75, 0.82, 0.92}.mul(1.8)
	case LightOvercast:
		e.sky = rgb{0.82, 0.85, 0.9}.mul(1.5)
		e.zenith, e.horizon = rgb{0.75, 0.77, 0.8}.mul(1.6), rgb{0.85, 0.86, 0.88}.mul(1.9)
	case LightDusk:
		e.sun = rgb{1, 0.55, 0.25}.mul(0.9)
		e.sky = rgb{0.35, 0.33, 0.45}.mul(0.35)
		e.zenith, e.horizon = rgb{0.15, 0.18, 0.35}.mul(0.5), rgb{1.0, 0.55, 0.3}.mul(0.8)
		e.exposure *= 1.6
	case LightRain:
		e.sky = rgb{0.7, 0.73, 0.78}.mul(0.9)
		e.zenith, e.horizon = rgb{0.55, 0.57, 0.6}.mul(1.2), rgb{0.7, 0.72, 0.74}.mul(1.4)
		e.exposure *= 1.3
	case LightGlare:
		e.sun = rgb{1, 0.9, 0.75}.mul(2.8)
		e.sky = rgb{0.5, 0.55, 0.65}.mul(1.0)
		e.zenith, e.horizon = rgb{0.35, 0.5, 0.8}.mul(1.8), rgb{1.0, 0.95, 0.85}.mul(2.6)
	case LightNightIR:
		e.ir = true
		e.sky = rgb{0.01, 0.01, 0.01}
		e.zenith, e.horizon = rgb{0.002, 0.002, 0.002}, rgb{0.01, 0.01, 0.01}
		e.lamp, e.lampPos, e.lampAxis = 40, cam.pos, cam.fwd
		e.lampCol, e.lampCone = rgb{1, 1, 1}, rad(22+float64(g.Width%7))
	case LightNightLED:
		e.sky = rgb{0.02, 0.02, 0.03}
		e.zenith, e.horizon = rgb{0.005, 0.006, 0.01}, rgb{0.03, 0.03, 0.035}
		e.lamp, e.lampPos = 70, vec3{cam.pos.X + 1, math.Max(cam.pos.Y+2, 5), cam.pos.Z - 0.5}
		target := vec3{g.StopX, 0.5, -1}
		e.lampAxis = target.sub(e.lampPos).norm()
		e.lampCol, e.lampCone = rgb{1, 0.93, 0.82}, rad(35)
	}
	if c.LampOff {
		e.lamp = 0
	}
	e.bounce = e.sky.mul(0.25).add(e.sun.mul(0.12 * math.Max(0, e.sunDir.Y)))
	if c.ShadowBand && e.sun.lum() > 0 {
		// a straight shadow edge of a building or canopy passing through a point on the truck
		sp := spec{length: 9}
		x := g.StopX + (c.ShadowAt-0.5)*sp.length*0.8
		p := vec3{x, 0.4 + 0.8*c.ShadowAt, 0}
		tilt := rad(c.ShadowTilt)
		edge := vec3{math.Sin(tilt), math.Cos(tilt), 0.3}.norm()
		e.shadow = true
		e.shadowE0 = p.add(e.sunDir.scale(8))
		e.shadowM = edge.cross(e.sunDir).norm()
		e.shadowSide = 1
		if c.ShadowAt > 0.5 {
			e.shadowSide = -1
		}
	}
	return e
}

// sunVis is how much of the sun reaches p past the shadow edge (1 lit).
func (e *env) sunVis(p vec3) float64 {
	if !e.shadow {
		return 1
	}
	d := p.sub(e.shadowE0)
	s := d.dot(e.shadowM) * e.shadowSide
	pen := 0.004 * math.Sqrt(d.dot(d))
	return smoothstep(-pen, pen, s)
}

// irradiance is the light falling on a surface at p with normal n; sunVis is extra occlusion
// of the sun at p (1 none), ao the share of the sky it sees.
func (e *env) irradiance(p, n vec3, sunVis, ao float64) rgb {
	up := 0.5 + 0.5*n.Y
	out := e.sky.mul(up * ao).add(e.bounce.mul((1 - up) * ao))
	if sunVis > 0 && e.sun.lum() > 0 {
		if d := n.dot(e.sunDir); d > 0 {
			out = out.add(e.sun.mul(d * sunVis * e.sunVis(p)))
		}
	}
	if e.lamp > 0 {
		l := e.lampPos.sub(p)
		d2 := l.dot(l)
		ld := l.scale(1 / math.Sqrt(d2))
		if c := n.dot(ld); c > 0 {
			ang := math.Acos(clamp(-ld.dot(e.lampAxis), -1, 1))
			spot := math.Exp(-(ang * ang) / (e.lampCone * e.lampCone))
			out = out.add(e.lampCol.mul(e.lamp * c * spot / d2))
		}
	}
	return out
}

// albedoIR maps a visible albedo to what the surface reflects in near infrared: paints and
// soil come up brighter, rubber stays dark.
func albedoIR(a rgb) rgb {
	v := 0.45*a.lum() + 0.35*a.R + 0.08
	if a.lum() < 0.02 {
		v = a.lum()*2 + 0.02
	}
	return rgb{v, v, v}
}
