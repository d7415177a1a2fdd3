//go:build !nocv

package scene

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"gocv.io/x/gocv"
)

// Hazards draw with their own random stream (r.hz), so a picture without them is the picture
// the reference generator always drew.

// blobWith is blob drawn from rng.
func (r *renderer) blobWith(rng *rand.Rand, p image.Point, rad float64, c color.RGBA) {
	for k := 0; k < 3; k++ {
		q := image.Pt(p.X+int((rng.Float64()-0.5)*rad), p.Y+int((rng.Float64()-0.5)*rad))
		ax := image.Pt(max(1, int(rad*(0.5+rng.Float64()*0.7))), max(1, int(rad*(0.3+rng.Float64()*0.5))))
		gocv.Ellipse(r.m, q, ax, rng.Float64()*180, 0, 360, c, -1)
	}
}

func soilWith(rng *rand.Rand, base [3]uint8) color.RGBA {
	c := shade(base, 0.8+rng.Float64()*0.4)
	j := func(v uint8) uint8 { return uint8(math.Max(0, math.Min(255, float64(v)+float64(rng.IntN(21)-10)))) }
	return color.RGBA{R: j(c.R), G: j(c.G), B: j(c.B), A: 255}
}

// roadMud spreads mud and tyre tracks on the road, under where the truck will stand.
func (r *renderer) roadMud() {
	rng := r.hz
	base := soils[rng.IntN(len(soils))]
	road := blendOver(r, 0.45+rng.Float64()*0.3)
	// Tyre tracks: long smeared bands along the road.
	for k := 0; k < 1+rng.IntN(3); k++ {
		y := groundY - 0.01 + rng.Float64()*(math.Min(1, r.y1)-groundY)
		x0 := r.x0 + rng.Float64()*0.3
		x1 := math.Min(r.x1, x0+0.4+rng.Float64()*0.8)
		c := soilWith(rng, base)
		for x := x0; x < x1; x += 0.006 {
			p := r.pt(x, y+(rng.Float64()-0.5)*0.012)
			r.blobWith(rng, p, float64(r.px(0.008+rng.Float64()*0.01)), c)
		}
	}
	// Clods and splats.
	for k := 0; k < 40+rng.IntN(120); k++ {
		p := r.pt(r.x0+rng.Float64()*(r.x1-r.x0), groundY-0.015+rng.Float64()*(math.Min(1, r.y1)-groundY+0.015))
		r.blobWith(rng, p, float64(r.px(0.004+rng.Float64()*0.018)), soilWith(rng, base))
	}
	road.done()
}

// overlay blends what is drawn after it into the canvas at a given opacity, when done.
type overlay struct {
	r     *renderer
	saved gocv.Mat
	alpha float64
}

// blendOver starts drawing that ends at opacity alpha.
func blendOver(r *renderer, alpha float64) overlay {
	return overlay{r: r, saved: r.m.Clone(), alpha: alpha}
}

func (o overlay) done() {
	gocv.AddWeighted(*o.r.m, o.alpha, o.saved, 1-o.alpha, 0, o.r.m)
	o.saved.Close()
}

// hazards draws, after the truck, what is on or in front of it.
func (r *renderer) hazards(t truckAt) error {
	h := r.spec.Hazards
	if h.Wet {
		if err := r.wet(t); err != nil {
			return err
		}
	}
	if h.WheelShadow {
		if err := r.wheelShadow(t); err != nil {
			return err
		}
	}
	if h.Person {
		r.person(t)
	}
	if h.Barrier {
		r.barrier()
	}
	return nil
}

// scaleRect multiplies the pixels of a canvas rectangle (relative coordinates) by f, per
// channel (B, G, R).
func (r *renderer) scaleRect(x0, y0, x1, y1 float64, f [3]float64, mask func(x, y int) bool) error {
	px, err := r.pixels()
	if err != nil {
		return err
	}
	w, hh := r.m.Cols(), r.m.Rows()
	a, b := r.pt(x0, y0), r.pt(x1, y1)
	for y := max(0, a.Y); y < min(hh, b.Y); y++ {
		for x := max(0, a.X); x < min(w, b.X); x++ {
			if mask != nil && !mask(x, y) {
				continue
			}
			i := 3 * (y*w + x)
			for c := 0; c < 3; c++ {
				px[i+c] = clamp8(float64(px[i+c]) * f[c])
			}
		}
	}
	return nil
}

// wet is a truck fresh from the wash bay: the lower truck darker and glistening, water
// dripping, a puddle. Nothing of it is brown.
func (r *renderer) wet(t truckAt) error {
	rng := r.hz
	d := 0.72 + rng.Float64()*0.15
	top := t.axleY - t.wr - 0.06 - rng.Float64()*0.1
	if err := r.scaleRect(t.rear, top, t.front, groundY+0.01, [3]float64{d * 1.03, d, d * 0.97}, nil); err != nil {
		return err
	}
	// The puddle: darker road with the sky's sheen.
	if err := r.scaleRect(t.rear-0.05, groundY, t.front+0.05, math.Min(r.y1, groundY+0.06+rng.Float64()*0.06), [3]float64{0.85, 0.8, 0.78}, nil); err != nil {
		return err
	}
	glint := color.RGBA{R: 228, G: 234, B: 242, A: 255}
	o := blendOver(r, 0.5+rng.Float64()*0.4)
	for k := 0; k < 60+rng.IntN(160); k++ { // highlights on the wet tyres and body
		var p image.Point
		if k%2 == 0 && len(t.wheels) > 0 {
			wh := t.wheels[rng.IntN(len(t.wheels))]
			a := rng.Float64() * 2 * math.Pi
			dd := (0.3 + rng.Float64()*0.7) * t.wr
			p = r.pt(wh[0]+math.Cos(a)*dd*r.h/r.w, wh[1]+math.Sin(a)*dd)
		} else {
			p = r.pt(t.rear+rng.Float64()*(t.front-t.rear), top+rng.Float64()*(t.axleY-top))
		}
		gocv.Ellipse(r.m, p, image.Pt(r.px(0.002+rng.Float64()*0.006), r.px(0.001+rng.Float64()*0.003)), rng.Float64()*180, 0, 360, glint, -1)
	}
	for k := 0; k < 20+rng.IntN(50); k++ { // drips
		x := t.rear + rng.Float64()*(t.front-t.rear)
		y := top + rng.Float64()*(t.axleY-top)
		gocv.Line(r.m, r.pt(x, y), r.pt(x, y+0.01+rng.Float64()*0.04), color.RGBA{R: 170, G: 180, B: 195, A: 255}, r.px(0.002))
	}
	o.done()
	return nil
}

// wheelShadow is the shadow of a pole or the gantry across the wheels.
func (r *renderer) wheelShadow(t truckAt) error {
	rng := r.hz
	for k := 0; k < 1+rng.IntN(2); k++ {
		x := t.rear + rng.Float64()*(t.front-t.rear)
		wid := 0.015 + rng.Float64()*0.06
		slant := (rng.Float64() - 0.5) * 0.15
		y0, y1 := t.axleY-2.2*t.wr, math.Min(r.y1, groundY+0.08)
		dark := 0.4 + rng.Float64()*0.25
		tint := [3]float64{1.12 * dark, dark, 0.92 * dark}
		// A slanted band: at row y it spans [x+s·(y-y0), x+s·(y-y0)+wid].
		if err := r.scaleRect(x-0.2, y0, x+wid+0.2, y1, tint, func(px, py int) bool {
			fx, fy := float64(px)/r.w+r.x0, float64(py)/r.h+r.y0
			l := x + slant*(fy-y0)/(y1-y0)
			return fx >= l && fx <= l+wid
		}); err != nil {
			return err
		}
	}
	return nil
}

// person stands in front of the truck in a hi-vis vest: orange or yellow-green, with silver
// bands, and a hard hat.
func (r *renderer) person(t truckAt) {
	rng := r.hz
	x := t.rear + rng.Float64()*(t.front-t.rear)
	foot := math.Min(r.y1-0.01, groundY+0.02+rng.Float64()*0.1)
	ht := 0.42 + rng.Float64()*0.12
	u := ht / 8 // a head
	uw := u * r.h / r.w
	trousers := color.RGBA{R: 40, G: 45, B: 60, A: 255}
	vests := []color.RGBA{{R: 245, G: 120, B: 20, A: 255}, {R: 200, G: 235, B: 40, A: 255}}
	vest := vests[rng.IntN(2)]
	r.rect(x-0.9*uw, foot-4*u, x-0.1*uw, foot, trousers)
	r.rect(x+0.1*uw, foot-4*u, x+0.9*uw, foot, trousers)
	r.rect(x-1.1*uw, foot-7*u, x+1.1*uw, foot-3.8*u, vest)
	for _, y := range []float64{foot - 5.6*u, foot - 4.6*u} {
		r.rect(x-1.1*uw, y, x+1.1*uw, y+0.25*u, color.RGBA{R: 205, G: 210, B: 215, A: 255})
	}
	r.rect(x-1.5*uw, foot-6.8*u, x-1.1*uw, foot-4*u, vest)
	r.rect(x+1.1*uw, foot-6.8*u, x+1.5*uw, foot-4*u, vest)
	gocv.Ellipse(r.m, r.pt(x, foot-7.5*u), image.Pt(r.px(0.42*u), r.px(0.5*u)), 0, 0, 360, color.RGBA{R: 200, G: 160, B: 130, A: 255}, -1)
	hats := []color.RGBA{{R: 240, G: 240, B: 235, A: 255}, {R: 240, G: 200, B: 30, A: 255}, {R: 40, G: 90, B: 200, A: 255}}
	gocv.Ellipse(r.m, r.pt(x, foot-7.85*u), image.Pt(r.px(0.5*u), r.px(0.3*u)), 0, 180, 360, hats[rng.IntN(3)], -1)
}

// barrier is a red and white barrier arm across the view, on its post.
func (r *renderer) barrier() {
	rng := r.hz
	y := 0.5 + rng.Float64()*0.25
	th := 0.018 + rng.Float64()*0.015
	tilt := (rng.Float64() - 0.5) * 0.06
	post := r.x0 + 0.02 + rng.Float64()*0.1
	if rng.IntN(2) == 0 {
		post = r.x1 - 0.05 - rng.Float64()*0.1
	}
	r.rect(post-0.012, y-0.02, post+0.012, math.Min(r.y1, groundY+0.1), color.RGBA{R: 150, G: 150, B: 150, A: 255})
	red, white := color.RGBA{R: 200, G: 30, B: 30, A: 255}, color.RGBA{R: 235, G: 235, B: 230, A: 255}
	seg := 0.05
	for k, x := 0, r.x0; x < r.x1; k, x = k+1, x+seg {
		c := red
		if k%2 == 1 {
			c = white
		}
		ya, yb := y+tilt*(x-r.x0), y+tilt*(x+seg-r.x0)
		r.poly([][2]float64{{x, ya}, {x + seg, yb}, {x + seg, yb + th}, {x, ya + th}}, c)
	}
}

// lensSpots smudges the lens: soft grey-brown spots, in the picture's coordinates.
func (r *renderer) lensSpots(n int) error {
	px, err := r.pixels()
	if err != nil {
		return err
	}
	rng := r.hz
	w, h := r.m.Cols(), r.m.Rows()
	for k := 0; k < n; k++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		rad := (0.02 + rng.Float64()*0.07) * float64(w)
		alpha := 0.3 + rng.Float64()*0.45
		g := 50 + rng.Float64()*70
		col := [3]float64{g * 0.9, g, g * 1.05} // B, G, R: grime is grey, a little warm
		for y := max(0, int(cy-rad)); y < min(h, int(cy+rad)+1); y++ {
			for x := max(0, int(cx-rad)); x < min(w, int(cx+rad)+1); x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / rad
				if d >= 1 {
					continue
				}
				a := alpha * (1 - d*d) * (1 - d*d)
				i := 3 * (y*w + x)
				for c := 0; c < 3; c++ {
					px[i+c] = clamp8(float64(px[i+c])*(1-a) + col[c]*a)
				}
			}
		}
	}
	return nil
}
