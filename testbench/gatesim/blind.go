package gatesim

import (
	"image"
	"image/color"
	"math"
	"math/rand"
)

// Reasons a camera cannot see.
const (
	BlindBlack      = "black"       // no signal: all black
	BlindGrey       = "grey"        // a flat grey frame (a dead encoder, a cap)
	BlindBlur       = "blur"        // badly out of focus or fogged
	BlindLensMud    = "lens-mud"    // the lens window caked with mud
	BlindIRFailure  = "ir-failure"  // night with the infrared off: almost black
	BlindOverexpose = "overexposed" // washed out white
)

// BlindReasons lists every reason.
var BlindReasons = []string{BlindBlack, BlindGrey, BlindBlur, BlindLensMud, BlindIRFailure, BlindOverexpose}

// BlindFrame renders a frame at gate g that cannot carry a verdict for the reason, or, for
// reason "", a frame that can (a truck under a random condition: the control). It returns the
// JPEG quality the camera would send it at.
func BlindFrame(g Gate, reason string, rng *rand.Rand) (image.Image, int) {
	w, h := g.Width, g.Height
	noisy := func(level, sigma float64, grad float64) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		src := newXorshift(rng.Uint64())
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := level + grad*(float64(y)/float64(h)-0.5) + src.gauss()*sigma
				b := uint8(clamp(math.Round(v), 0, 255))
				img.SetRGBA(x, y, color.RGBA{b, b, b, 255})
			}
		}
		return img
	}
	muddy := rng.Intn(2) == 1
	t := RandomTruck(rng, g, muddy)
	c := RandomCondition(rng, g)
	switch reason {
	case BlindBlack:
		return noisy(2+rng.Float64()*4, 1+rng.Float64()*1.5, 0), 90
	case BlindGrey:
		return noisy(80+rng.Float64()*100, 0.5+rng.Float64()*1.5, rng.Float64()*4), 90
	case BlindBlur:
		daylight(&c, rng)
		lc, _ := renderLinear(g, t, c, rng)
		blur(lc.pix, lc.w, lc.h, 3, float64(h)/(12+rng.Float64()*8))
		return finishFrame(lc, g, c, rng), c.JPEGQuality
	case BlindLensMud:
		daylight(&c, rng)
		lc, _ := renderLinear(g, t, c, rng)
		coverLens(lc, rng)
		return finishFrame(lc, g, c, rng), c.JPEGQuality
	case BlindIRFailure:
		c.Light = LightNightIR
		c.LampOff = true
		c.Exposure = 0.05 + 0.1*rng.Float64() // the gain at its limit still shows nothing
		c.Noise = 3 + rng.Float64()*3
		lc, _ := renderLinear(g, t, c, rng)
		return finishFrame(lc, g, c, rng), c.JPEGQuality
	case BlindOverexpose:
		c.Light = []string{LightSun, LightGlare, LightOvercast}[rng.Intn(3)]
		c.Exposure = 25 + rng.Float64()*40
		lc, _ := renderLinear(g, t, c, rng)
		return finishFrame(lc, g, c, rng), c.JPEGQuality
	}
	img, _ := Render(g, t, c, rng)
	return img, c.JPEGQuality
}

// coverLens smears thick out-of-focus mud over almost all of the lens window.
func coverLens(c *canvas, rng *rand.Rand) {
	seed := uint32(rng.Int63())
	var mean float64
	for i := 0; i < len(c.pix); i += 3 * 101 {
		mean += float64(c.pix[i+1])
	}
	mean /= float64(len(c.pix) / (3 * 101))
	col := mudColour(pick(rng, []string{MudFresh, MudDried, MudClay, MudGrey}), rng.Float64())
	light := mean * 0.35 / col.lum()
	gap := 0.9 + 0.1*rng.Float64()
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			u, v := float64(x)/float64(c.h)*3, float64(y)/float64(c.h)*3
			n := fbm(u, v, 3, seed)
			a := smoothstep(1-gap-0.1, 1-gap+0.05, n)
			k := light * (0.7 + 0.6*fbm(u*4, v*4, 2, seed+1))
			i := (y*c.w + x) * 3
			for ch, tv := range [3]float64{col.R, col.G, col.B} {
				c.pix[i+ch] = float32(float64(c.pix[i+ch])*(1-a) + tv*k*a)
			}
		}
	}
	blur(c.pix, c.w, c.h, 3, float64(c.h)/40)
}

// daylight keeps a blind frame's condition to a lit scene with little noise, so that what
// blinds it is the reason alone.
func daylight(c *Condition, rng *rand.Rand) {
	c.Light = []string{LightSun, LightOvercast, LightRain}[rng.Intn(3)]
	c.Glare = 0
	c.Rain = 0
	c.Noise = math.Min(c.Noise, 2.5)
}
