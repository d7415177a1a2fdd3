package coversim

import (
	"image"
	"image/color"
	"math"
	"math/rand"
)

// post turns scene radiance into what the camera sends: raindrops and streaks, flare, auto
// exposure, lens softness, vignetting, sensor noise, tone curve and (at night with IR) grey.
func (s *scene) post(buf []Vec3, w, h int, rng *rand.Rand) *image.RGBA {
	li := &s.li
	if s.s.Condition == "rain" || (s.s.Condition == "night-led" && rng.Intn(3) == 0) {
		rainStreaks(buf, w, h, rng, li.ambient.lum())
		lensDrops(buf, w, h, rng, 3+rng.Intn(10))
	}
	if li.glare > 0 && li.sun {
		s.flare(buf, w, h)
	}
	// defocus and (at night, long shutter) motion along the lane
	if r := rng.Intn(3); r > 0 && w >= 320 {
		boxBlur(buf, w, h, r/2+w/1280, r/2+w/1280)
	}
	if li.lamp && rng.Intn(2) == 0 {
		boxBlur(buf, w, h, 1+rng.Intn(2)*w/640, 0)
	}
	switch s.fault {
	case "blur":
		r := max(2, w/45)
		for k := 0; k < 3; k++ {
			boxBlur(buf, w, h, r, r)
		}
	case "lens-mud":
		lensMud(buf, w, h, rng, li.ambient.lum()+0.2*li.sunCol.lum()+0.01)
	}
	gain := autoExposure(buf, li.target) * uniform(rng, 0.8, 1.25)
	switch s.fault {
	case "ir-failure":
		gain = math.Min(gain, uniform(rng, 3, 12)) // the gain control runs out
	case "overexposed":
		gain *= uniform(rng, 12, 40)
	}
	vig := uniform(rng, 0.1, 0.35)
	sigma := 0.008 * s.g.NoiseScale
	if li.lamp || s.s.Condition == "dusk" {
		sigma *= 2.5
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	rr := cx*cx + cy*cy
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := buf[y*w+x].mul(gain)
			dx, dy := float64(x)-cx, float64(y)-cy
			c = c.mul(1 - vig*(dx*dx+dy*dy)/rr)
			if li.ir {
				l := c.lum()
				c = v3(l, l, l)
			}
			n := rng.NormFloat64() * sigma
			var out [3]uint8
			for i, v := range [3]float64{c.X, c.Y, c.Z} {
				v = tone(v) + n
				if !li.ir {
					v += rng.NormFloat64() * sigma * 0.3
				}
				out[i] = uint8(clamp(math.Round(v*255), 0, 255))
			}
			img.SetRGBA(x, y, color.RGBA{out[0], out[1], out[2], 255})
		}
	}
	if s.osd && s.fault != "black" {
		stamp, name := osdText(s.g, s.s.Condition, rng)
		scale := max(1, h/300)
		drawText(img, stamp, 6*scale, 6*scale, scale)
		drawText(img, name, w-len(name)*6*scale-6*scale, h-12*scale, scale)
	}
	return img
}

// tone is the camera's curve from linear light to an 8-bit level in 0..1, with a soft shoulder.
func tone(v float64) float64 {
	if v < 0 {
		v = 0
	}
	if v > 0.8 {
		v = 0.8 + 0.2*(1-math.Exp(-(v-0.8)/0.2))
	}
	return math.Pow(v, 1/2.2)
}

// autoExposure is the gain that brings the frame's mean luminance to target (a camera's AE
// weighs the centre more).
func autoExposure(buf []Vec3, target float64) float64 {
	sum, n := 0.0, 0.0
	for i := 0; i < len(buf); i += 7 {
		sum += math.Min(buf[i].lum(), 4)
		n++
	}
	if sum <= 0 {
		return 1
	}
	return clamp(target/(sum/n), 0.05, 400)
}

// boxBlur blurs in place with a box rx wide horizontally and ry vertically.
func boxBlur(buf []Vec3, w, h, rx, ry int) {
	tmp := make([]Vec3, len(buf))
	if rx > 0 {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s Vec3
				n := 0
				for k := -rx; k <= rx; k++ {
					xx := x + k
					if xx < 0 || xx >= w {
						continue
					}
					s = s.add(buf[y*w+xx])
					n++
				}
				tmp[y*w+x] = s.mul(1 / float64(n))
			}
		}
		copy(buf, tmp)
	}
	if ry > 0 {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s Vec3
				n := 0
				for k := -ry; k <= ry; k++ {
					yy := y + k
					if yy < 0 || yy >= h {
						continue
					}
					s = s.add(buf[yy*w+x])
					n++
				}
				tmp[y*w+x] = s.mul(1 / float64(n))
			}
		}
		copy(buf, tmp)
	}
}

// rainStreaks draws falling drops lit by the sky: short bright slanted lines.
func rainStreaks(buf []Vec3, w, h int, rng *rand.Rand, amb float64) {
	n := (80 + rng.Intn(300)) * w * h / (640 * 360)
	slant := uniform(rng, -0.3, 0.3)
	for i := 0; i < n; i++ {
		x0, y0 := rng.Float64()*float64(w), rng.Float64()*float64(h)
		l := uniform(rng, 6, 26) * float64(h) / 360
		a := uniform(rng, 0.03, 0.14)
		for k := 0.0; k < l; k++ {
			x, y := int(x0+slant*k), int(y0+k)
			if x < 0 || x >= w || y < 0 || y >= h {
				break
			}
			p := &buf[y*w+x]
			*p = p.mul(1 - a).add(v3(1, 1, 1).mul(a * (amb*1.5 + 0.1 + 2*p.lum())))
		}
	}
}

// lensDrops smear the picture under water drops sitting on the housing's window.
func lensDrops(buf []Vec3, w, h int, rng *rand.Rand, n int) {
	src := append([]Vec3(nil), buf...)
	for i := 0; i < n; i++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		r := uniform(rng, 0.01, 0.05) * float64(w)
		for y := int(cy - r); y <= int(cy+r); y++ {
			for x := int(cx - r); x <= int(cx+r); x++ {
				if x < 0 || y < 0 || x >= w || y >= h {
					continue
				}
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / r
				if d > 1 {
					continue
				}
				// a drop is a small lens: it shows a flipped, blurred patch of what is around it
				sx := int(cx - (float64(x)-cx)*0.6)
				sy := int(cy - (float64(y)-cy)*0.6)
				var acc Vec3
				m := 0
				for k := -2; k <= 2; k++ {
					xx, yy := sx+k*2, sy+k
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						acc = acc.add(src[yy*w+xx])
						m++
					}
				}
				if m == 0 {
					continue
				}
				a := smoothstep(1, 0.7, d)
				edge := 1 - 0.4*smoothstep(0.7, 0.95, d)*smoothstep(1, 0.95, d)
				buf[y*w+x] = buf[y*w+x].mul(1 - a).add(acc.mul(a * edge / float64(m)))
			}
		}
	}
}

// flare adds the veil and ghosts of a low sun in front of the lens.
func (s *scene) flare(buf []Vec3, w, h int) {
	sun := s.cam.pos.add(s.li.sunDir.mul(1000))
	u, v, ok := s.cam.project(sun)
	if !ok {
		return
	}
	sx, sy := u*float64(w), v*float64(h)
	cx, cy := float64(w)/2, float64(h)/2
	veil := s.li.sunCol.mul(0.03 * s.li.glare)
	ghosts := []struct{ at, r, a float64 }{{0.5, 0.04, 0.05}, {-0.3, 0.07, 0.03}, {-0.7, 0.03, 0.06}, {1.4, 0.1, 0.02}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x)-sx, float64(y)-sy) / float64(w)
			c := veil.mul(1 / (1 + 30*d*d))
			for _, g := range ghosts {
				gx := cx + (cx-sx)*g.at
				gy := cy + (cy-sy)*g.at
				gd := math.Hypot(float64(x)-gx, float64(y)-gy) / float64(w)
				if gd < g.r {
					c = c.add(v3(0.9, 0.8, 1).hadamard(s.li.sunCol).mul(g.a * s.li.glare * smoothstep(g.r, g.r*0.7, gd)))
				}
			}
			buf[y*w+x] = buf[y*w+x].add(c)
		}
	}
}

// lensMud splashes mud over the housing's window: opaque brown blobs with soft edges that cover
// most of the picture.
func lensMud(buf []Vec3, w, h int, rng *rand.Rand, light float64) {
	cover := make([]float64, w*h)
	mud := srgb(90, 70, 50).mul(light * 0.5)
	target := uniform(rng, 0.7, 0.98)
	seed := rng.Uint64()
	for k := 0; k < 60; k++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		r := uniform(rng, 0.1, 0.35) * float64(w)
		for y := max(0, int(cy-r)); y < min(h, int(cy+r)); y++ {
			for x := max(0, int(cx-r)); x < min(w, int(cx+r)); x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / r
				d += 0.3 * (fbm(float64(x)/25, float64(y)/25, seed, 3) - 0.5)
				cover[y*w+x] = math.Max(cover[y*w+x], smoothstep(1, 0.75, d))
			}
		}
		n := 0
		for _, c := range cover {
			if c > 0.5 {
				n++
			}
		}
		if float64(n) >= target*float64(w*h) {
			break
		}
	}
	for i, c := range cover {
		a := c * 0.97
		buf[i] = buf[i].mul(1 - a).add(mud.mul(a * (0.7 + 0.6*hashf(int64(i), 0, seed))))
	}
}
