package coversim

import (
	"image"
	"image/color"
	"math"
	"math/rand"
)

// BlindReasons are why a camera cannot see, in the order a blind set cycles through them.
var BlindReasons = []string{"black", "grey", "blur", "lens-mud", "ir-failure", "overexposed"}

type blindLabel struct {
	File   string
	Blind  bool
	Reason string
}

// BlindReason is the reason of blind frame i: every fourth frame is a seeing control ("ok"),
// the others cycle through BlindReasons.
func BlindReason(i int) string {
	if i%4 == 3 {
		return "ok"
	}
	return BlindReasons[(i-i/4)%len(BlindReasons)]
}

// RenderBlind draws a frame of gate g whose camera fails for reason (a BlindReasons name), or a
// seeing control for "ok": a truck of any label under any condition, hard ones included.
func RenderBlind(g Gate, reason string, w, h int, rng *rand.Rand) (image.Image, blindLabel) {
	bl := blindLabel{Blind: reason != "ok", Reason: reason}
	label := AllLabels[rng.Intn(len(AllLabels))]
	switch reason {
	case "black", "grey":
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		level := uniform(rng, 0, 10)
		if reason == "grey" {
			level = uniform(rng, 90, 170)
		}
		tint := v3(uniform(rng, -3, 3), uniform(rng, -3, 3), uniform(rng, -3, 3))
		sigma := uniform(rng, 0.5, 3)
		grad := uniform(rng, -8, 8)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				base := level + grad*float64(y)/float64(h) + rng.NormFloat64()*sigma
				img.SetRGBA(x, y, color.RGBA{
					uint8(clamp(math.Round(base+tint.X), 0, 255)),
					uint8(clamp(math.Round(base+tint.Y), 0, 255)),
					uint8(clamp(math.Round(base+tint.Z), 0, 255)), 255})
			}
		}
		return img, bl
	case "ir-failure":
		s := RandomSpec(rng, label, "night-ir")
		s.Width, s.Height = w, h
		img, _, _ := render(g, s, rng, reason)
		return img, bl
	case "blur", "lens-mud", "overexposed":
		cond := []string{"day", "overcast", "dusk", "rain", "haze"}[rng.Intn(5)]
		if reason == "overexposed" {
			cond = []string{"day", "glare", "overcast"}[rng.Intn(3)]
		}
		s := RandomSpec(rng, label, cond)
		s.Width, s.Height = w, h
		img, _, _ := render(g, s, rng, reason)
		return img, bl
	default: // a seeing control
		s := RandomSpec(rng, label, Conditions[rng.Intn(len(Conditions))])
		s.Width, s.Height = w, h
		img, _, _ := render(g, s, rng, "")
		bl.Blind, bl.Reason = false, "ok"
		return img, bl
	}
}
