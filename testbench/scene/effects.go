//go:build !nocv

package scene

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// pixels returns the frame's bytes (BGR, row by row); writes change the frame.
func (r *renderer) pixels() ([]uint8, error) {
	if !r.m.IsContinuous() {
		return nil, fmt.Errorf("scene: frame is not continuous")
	}
	return r.m.DataPtrUint8()
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// condition applies the light and weather.
func (r *renderer) condition() error {
	px, err := r.pixels()
	if err != nil {
		return err
	}
	w, h := int(r.w), int(r.h)
	switch r.spec.Condition {
	case Day:
		r.shadow(px, w, h)
		g := 0.95 + r.rng.Float64()*0.2
		for i := range px {
			px[i] = clamp8(float64(px[i]) * g)
		}
	case Dusk:
		k := 0.75 + r.rng.Float64()*0.4
		gain := [3]float64{(0.30 + r.rng.Float64()*0.1) * k, (0.40 + r.rng.Float64()*0.1) * k, (0.52 + r.rng.Float64()*0.12) * k}
		for i := range px {
			px[i] = clamp8(float64(px[i]) * gain[i%3])
		}
		r.noise(4 + r.rng.Float64()*4)
	case NightIR:
		cx, cy := 0.5+(r.rng.Float64()-0.5)*0.2, 0.68
		peak := 1.2 + r.rng.Float64()*0.4
		for y := 0; y < h; y++ {
			fy := float64(y)/r.h - cy
			for x := 0; x < w; x++ {
				fx := float64(x)/r.w - cx
				i := (y*w + x) * 3
				// Paint and soil reflect the illuminator's near infrared more evenly than visible
				// light, so the picture is flatter than a plain luminance.
				lum := 0.2*float64(px[i]) + 0.45*float64(px[i+1]) + 0.35*float64(px[i+2])
				lum = 255 * math.Pow(lum/255, 0.85)
				f := peak * math.Exp(-(fx*fx/0.22 + fy*fy/0.12))
				v := clamp8(lum*f + 6)
				px[i], px[i+1], px[i+2] = v, v, v
			}
		}
		r.noise(5 + r.rng.Float64()*5)
	case Rain:
		dim := 0.6 + r.rng.Float64()*0.2
		haze := [3]float64{135, 128, 122}
		for i := range px {
			px[i] = clamp8((float64(px[i])*0.8 + haze[i%3]*0.2) * dim)
		}
		r.streaks()
	case Glare:
		cx, cy := 0.1+r.rng.Float64()*0.8, r.rng.Float64()*0.45
		sig := (0.2 + r.rng.Float64()*0.15)
		strength := 150 + r.rng.Float64()*105
		haze := 0.15 + r.rng.Float64()*0.2
		for y := 0; y < h; y++ {
			fy := (float64(y) - cy*r.h) / r.w
			for x := 0; x < w; x++ {
				fx := float64(x)/r.w - cx
				add := strength * math.Exp(-(fx*fx+fy*fy)/(sig*sig))
				i := (y*w + x) * 3
				for c := 0; c < 3; c++ {
					px[i+c] = clamp8(float64(px[i+c])*(1-haze) + 255*haze + add)
				}
			}
		}
	default:
		return fmt.Errorf("scene: unknown condition %q", r.spec.Condition)
	}
	return nil
}

// reflection makes the road wet: it mirrors the truck, fading away from the wheels. It is the
// world's, drawn before the gate's view.
func (r *renderer) reflection() error {
	px, err := r.pixels()
	if err != nil {
		return err
	}
	w, h := r.m.Cols(), r.m.Rows()
	gy := r.ypx(groundY)
	hb := r.ypx(1)
	for y := max(0, gy); y < h; y++ {
		src := 2*gy - y
		if src < 0 {
			break
		}
		a := 0.35 * (1 - float64(y-gy)/float64(max(1, hb-gy)))
		if a <= 0 {
			break
		}
		for x := 0; x < w; x++ {
			i, j := (y*w+x)*3, (src*w+x)*3
			for c := 0; c < 3; c++ {
				px[i+c] = clamp8(float64(px[i+c])*(1-a)*0.8 + float64(px[j+c])*a)
			}
		}
	}
	return nil
}

// shadow darkens a slanted band, like the shadow of the gantry on a sunny day.
func (r *renderer) shadow(px []uint8, w, h int) {
	x0 := r.rng.Float64() * 0.8
	wid := 0.15 + r.rng.Float64()*0.35
	slant := (r.rng.Float64() - 0.5) * 0.4
	mask := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	defer mask.Close()
	mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
	pts := []image.Point{r.pt(x0, 0), r.pt(x0+wid, 0), r.pt(x0+wid+slant, 1), r.pt(x0+slant, 1)}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	defer pv.Close()
	gocv.FillPoly(&mask, pv, color.RGBA{R: 255, G: 255, B: 255, A: 255})
	mk, err := mask.DataPtrUint8()
	if err != nil {
		return
	}
	dark := 0.4 + r.rng.Float64()*0.2
	tint := [3]float64{1.12, 1.0, 0.92} // B, G, R: skylight in the shade is bluish
	for p, v := range mk {
		if v == 0 {
			continue
		}
		i := p * 3
		for c := 0; c < 3; c++ {
			px[i+c] = clamp8(float64(px[i+c]) * dark * tint[c])
		}
	}
}

// streaks draws falling rain, blended over the frame.
func (r *renderer) streaks() {
	over := r.m.Clone()
	defer over.Close()
	n := 250 + r.rng.IntN(300)
	slant := (r.rng.Float64() - 0.5) * 0.02
	for k := 0; k < n; k++ {
		x, y := r.rng.Float64(), r.rng.Float64()
		l := 0.03 + r.rng.Float64()*0.04
		r2 := *r
		r2.m = &over
		r2.line(x, y, x+slant, y+l, color.RGBA{R: 210, G: 215, B: 220, A: 255}, 0.002)
	}
	gocv.AddWeighted(*r.m, 0.65, over, 0.35, 0, r.m)
}

// noise adds sensor noise of standard deviation sigma.
func (r *renderer) noise(sigma float64) {
	px, err := r.pixels()
	if err != nil {
		return
	}
	var table [1024]float64
	for i := range table {
		table[i] = r.rng.NormFloat64() * sigma
	}
	k := r.rng.Uint32()
	for i := range px {
		k = k*1664525 + 1013904223
		px[i] = clamp8(float64(px[i]) + table[k>>22])
	}
}

// motionBlur smears the frame horizontally over n pixels.
func (r *renderer) motionBlur(n float64) {
	k := max(2, int(n+0.5))
	kernel := gocv.NewMatWithSize(1, k, gocv.MatTypeCV32F)
	defer kernel.Close()
	for i := 0; i < k; i++ {
		kernel.SetFloatAt(0, i, float32(1/float64(k)))
	}
	out := gocv.NewMat()
	defer out.Close()
	gocv.Filter2D(*r.m, &out, -1, kernel, image.Pt(-1, -1), 0, gocv.BorderReflect)
	out.CopyTo(r.m)
}
