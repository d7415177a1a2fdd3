package coverscene

import (
	"math"
	"math/rand/v2"
)

// post turns the linear picture into what the camera delivers: motion blur along the lane,
// glare, auto exposure, rain streaks, the gantry's bars and lens dirt out of focus, a tone
// curve, vignetting and sensor noise (the last three and exposure always; the rest with
// effects). buf ends in display values 0..1.
func post(sc *scene, buf []vec, W, H int, rng *rand.Rand, effects bool) {
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	scale := float64(W) / 640
	if effects && sc.s.Blur > 0.5 {
		a, ok1 := sc.g.project(sc.g.toWorld(vec{-1, sc.w.d.top(), 0}, sc.dx, sc.dz))
		b, ok2 := sc.g.project(sc.g.toWorld(vec{1, sc.w.d.top(), 0}, sc.dx, sc.dz))
		if ok1 && ok2 {
			dx, dy := (b[0]-a[0])*float64(W), (b[1]-a[1])*float64(H)
			if n := math.Hypot(dx, dy); n > 1e-6 {
				motionBlur(buf, W, H, dx/n, dy/n, sc.s.Blur*scale)
			}
		}
	}
	if effects && sc.l.glare > 0 {
		glare(sc, buf, W, H, rng)
	}
	// Auto exposure on the log-mean luminance.
	sum, n := 0.0, 0
	for i := 0; i < len(buf); i += 7 {
		sum += math.Log(1e-4 + buf[i].lum())
		n++
	}
	gain := sc.l.key / math.Exp(sum/float64(n))
	for i := range buf {
		buf[i] = buf[i].mul(gain)
	}
	if effects && sc.l.rain {
		rainStreaks(buf, W, H, rng)
	}
	if effects {
		for _, b := range sc.g.Bars {
			bar(buf, W, H, b, sc.l.ir)
		}
		if sc.g.Dirt > 0 {
			dirt(buf, W, H, sc.g, sc.l.ir)
		}
	}
	// Tone curve, contrast, vignetting, noise.
	noise := sc.l.noise + sc.s.Noise
	nseed := rng.Uint64()
	mid := 0.45
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			i := y*W + x
			c := buf[i]
			fx, fy := float64(x)/float64(W)-0.5, (float64(y)/float64(H)-0.5)/Aspect
			vig := 1 - 0.5*(fx*fx+fy*fy)*1.5
			t := func(v float64) float64 {
				v = math.Max(0, v*vig)
				v = v * (1 + v/6) / (1 + v)
				v = math.Pow(v, 1/2.2)
				return mid + (v-mid)*sc.l.contrast
			}
			c = vec{t(c.x), t(c.y), t(c.z)}
			if effects {
				h := hash3(nseed, int64(x), int64(y))
				ns := noise * (0.6 + 0.8*math.Sqrt(math.Max(0, c.lum())))
				gn := gauss(h) * ns
				if sc.l.ir {
					c = vec{c.x + gn, c.x + gn, c.x + gn}
				} else {
					ch := ns * 0.35
					c = vec{c.x + gn + ch*gauss(mix64(h+1)), c.y + gn + ch*gauss(mix64(h+2)), c.z + gn + ch*gauss(mix64(h+3))}
				}
			}
			buf[i] = c
		}
	}
	_ = u
}

func motionBlur(buf []vec, W, H int, dx, dy, length float64) {
	src := append([]vec(nil), buf...)
	n := int(math.Ceil(length))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			var s vec
			c := 0.0
			for k := -n; k <= n; k++ {
				t := float64(k) / float64(max(n, 1)) * length / 2
				sx, sy := int(math.Round(float64(x)+dx*t)), int(math.Round(float64(y)+dy*t))
				if sx < 0 || sy < 0 || sx >= W || sy >= H {
					continue
				}
				s = s.add(src[sy*W+sx])
				c++
			}
			if c > 0 {
				buf[y*W+x] = s.mul(1 / c)
			}
		}
	}
}

// glare adds a low sun's veil and ghosts: the sun's place in the frame (it may be outside).
func glare(sc *scene, buf []vec, W, H int, rng *rand.Rand) {
	c := sc.cam
	sun := c.o.add(sc.l.sun.mul(1000))
	p, ok := sc.g.project(sun)
	if !ok {
		p = [2]float64{0.5 + (rng.Float64()-0.5)*1.6, -0.2 - rng.Float64()*0.3}
	}
	mean := 0.0
	for i := 0; i < len(buf); i += 11 {
		mean += buf[i].lum()
	}
	mean /= float64(len(buf)/11 + 1)
	amp := sc.l.glare * mean * 3
	col := vec{1, 0.92, 0.8}
	ghosts := [][3]float64{}
	for i := 0; i < 3; i++ {
		t := -0.3 - rng.Float64()*1.2
		ghosts = append(ghosts, [3]float64{0.5 + (p[0]-0.5)*t, 0.5 + (p[1]-0.5)*t, 0.03 + rng.Float64()*0.08})
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := (float64(x)+0.5)/float64(W), (float64(y)+0.5)/float64(H)
			dx, dy := fx-p[0], (fy-p[1])/Aspect
			r := math.Hypot(dx, dy)
			v := amp * (0.25 + 1.5*math.Exp(-r/0.18) + 8*math.Exp(-r/0.03))
			for _, gh := range ghosts {
				if d := math.Hypot(fx-gh[0], (fy-gh[1])/Aspect); d < gh[2] {
					v += amp * 0.4 * (1 - d/gh[2])
				}
			}
			buf[y*W+x] = buf[y*W+x].add(col.mul(v))
		}
	}
}

func rainStreaks(buf []vec, W, H int, rng *rand.Rand) {
	n := 150 + rng.IntN(300)
	ang := (rng.Float64()*30 - 15 + 90) * math.Pi / 180
	dx, dy := math.Cos(ang), math.Sin(ang)
	mean := 0.0
	for i := 0; i < len(buf); i += 13 {
		mean += buf[i].lum()
	}
	mean /= float64(len(buf)/13 + 1)
	scale := float64(W) / 640
	for i := 0; i < n; i++ {
		x0, y0 := rng.Float64()*float64(W), rng.Float64()*float64(H)
		l := (8 + rng.Float64()*25) * scale
		b := mean * (0.3 + rng.Float64()*0.8)
		for t := 0.0; t < l; t += 0.7 {
			x, y := int(x0+dx*t), int(y0+dy*t)
			if x < 0 || y < 0 || x >= W || y >= H {
				continue
			}
			j := y*W + x
			buf[j] = buf[j].mul(0.7).add(vec{b, b, b * 1.05})
		}
	}
}

// bar darkens an out-of-focus straight occluder.
func bar(buf []vec, W, H int, b Bar, ir bool) {
	a := b.Angle * math.Pi / 180
	nx, ny := -math.Sin(a), math.Cos(a)
	col := vec{0.02, 0.02, 0.025}
	if ir {
		col = vec{0.3, 0.3, 0.3} // near the lamp, an infrared camera sees the bar bright
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := float64(x)/float64(W)-b.X, (float64(y)/float64(H)-b.Y)/Aspect
			d := math.Abs(fx*nx + fy*ny*Aspect/Aspect)
			half := b.Width / 2
			alpha := 1 - sstep(half*0.6, half*1.4, d)
			if alpha > 0 {
				i := y*W + x
				buf[i] = buf[i].lerp(col, alpha)
			}
		}
	}
}

// dirt lays blurred spots on the lens, the same ones in every picture of the gate.
func dirt(buf []vec, W, H int, g Gate, ir bool) {
	rng := rand.New(rand.NewPCG(uint64(g.Seed), 0xd1e7))
	n := 2 + int(g.Dirt*8)
	for i := 0; i < n; i++ {
		cx, cy, r := rng.Float64(), rng.Float64(), 0.02+rng.Float64()*0.07
		alpha := 0.15 + 0.35*g.Dirt*rng.Float64()
		col := vec{0.12, 0.09, 0.06}
		if ir {
			col = vec{0.35, 0.35, 0.35}
		}
		x0, x1 := int((cx-r)*float64(W)), int((cx+r)*float64(W))
		y0, y1 := int((cy-r*Aspect)*float64(H)), int((cy+r*Aspect)*float64(H))
		for y := max(0, y0); y < min(H, y1+1); y++ {
			for x := max(0, x0); x < min(W, x1+1); x++ {
				d := math.Hypot(float64(x)/float64(W)-cx, (float64(y)/float64(H)-cy)/Aspect) / r
				if d < 1 {
					j := y*W + x
					a := alpha * (1 - d*d)
					buf[j] = buf[j].lerp(col.mul(buf[j].lum()*2+0.05), a)
				}
			}
		}
	}
}
