package gatesim

import (
	"math"
	"sort"
)

// rgb is a linear-light colour (0..1 is the range of a white, fully lit surface).
type rgb struct{ R, G, B float64 }

func (c rgb) mul(k float64) rgb { return rgb{c.R * k, c.G * k, c.B * k} }
func (c rgb) add(d rgb) rgb     { return rgb{c.R + d.R, c.G + d.G, c.B + d.B} }
func (c rgb) mulc(d rgb) rgb    { return rgb{c.R * d.R, c.G * d.G, c.B * d.B} }
func (c rgb) lum() float64      { return 0.2126*c.R + 0.7152*c.G + 0.0722*c.B }
func mix(a, b rgb, t float64) rgb {
	return rgb{lerp(a.R, b.R, t), lerp(a.G, b.G, t), lerp(a.B, b.B, t)}
}

// srgb turns an sRGB triple (0..255, as a paint chart gives it) into linear light.
func srgb(r, g, b float64) rgb { return rgb{srgbLin(r), srgbLin(g), srgbLin(b)} }

var srgbTable = func() (t [256]float64) {
	for i := range t {
		t[i] = srgbSlow(float64(i))
	}
	return t
}()

func srgbLin(v float64) float64 {
	if i := int(v); float64(i) == v && i >= 0 && i < 256 {
		return srgbTable[i]
	}
	return srgbSlow(v)
}

func srgbSlow(v float64) float64 {
	v /= 255
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// pt is a point in canvas pixels.
type pt struct{ X, Y float64 }

// canvas is a float image. alpha is nil for an opaque canvas; a layer carries it (premultiplied).
type canvas struct {
	w, h  int
	pix   []float32
	alpha []float32
}

func newCanvas(w, h int, layer bool) *canvas {
	c := &canvas{w: w, h: h, pix: make([]float32, w*h*3)}
	if layer {
		c.alpha = make([]float32, w*h)
	}
	return c
}

func (c *canvas) get(x, y int) rgb {
	if x < 0 {
		x = 0
	}
	if y < 0 {
		y = 0
	}
	if x >= c.w {
		x = c.w - 1
	}
	if y >= c.h {
		y = c.h - 1
	}
	i := (y*c.w + x) * 3
	return rgb{float64(c.pix[i]), float64(c.pix[i+1]), float64(c.pix[i+2])}
}

func (c *canvas) set(x, y int, v rgb) {
	i := (y*c.w + x) * 3
	c.pix[i], c.pix[i+1], c.pix[i+2] = float32(v.R), float32(v.G), float32(v.B)
}

// blend lays colour v over pixel (x, y) with weight a.
func (c *canvas) blend(x, y int, v rgb, a float64) {
	if a <= 0 {
		return
	}
	if a > 1 {
		a = 1
	}
	i := y*c.w + x
	j := i * 3
	k := float32(a)
	c.pix[j] = c.pix[j]*(1-k) + float32(v.R)*k
	c.pix[j+1] = c.pix[j+1]*(1-k) + float32(v.G)*k
	c.pix[j+2] = c.pix[j+2]*(1-k) + float32(v.B)*k
	if c.alpha != nil {
		c.alpha[i] = c.alpha[i]*(1-k) + k
	}
}

// bilinear samples the canvas at a real position.
func (c *canvas) bilinear(x, y float64) rgb {
	x -= 0.5
	y -= 0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	tx, ty := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	a := c.get(ix, iy)
	b := c.get(ix+1, iy)
	d := c.get(ix, iy+1)
	e := c.get(ix+1, iy+1)
	return mix(mix(a, b, tx), mix(d, e, tx), ty)
}

// shader gives the colour and opacity of a surface at a canvas position (a pixel centre).
type shader func(x, y float64) (rgb, float64)

func solid(c rgb) shader { return func(x, y float64) (rgb, float64) { return c, 1 } }

const subRows = 4

// fill rasterises a polygon (even-odd) with anti-aliased edges and paints it with sh.
func (c *canvas) fill(p []pt, sh shader) {
	if len(p) < 3 {
		return
	}
	minX, minY, maxX, maxY := p[0].X, p[0].Y, p[0].X, p[0].Y
	for _, q := range p[1:] {
		minX = math.Min(minX, q.X)
		maxX = math.Max(maxX, q.X)
		minY = math.Min(minY, q.Y)
		maxY = math.Max(maxY, q.Y)
	}
	x0 := int(math.Floor(math.Max(minX, 0)))
	x1 := int(math.Ceil(math.Min(maxX, float64(c.w))))
	y0 := int(math.Floor(math.Max(minY, 0)))
	y1 := int(math.Ceil(math.Min(maxY, float64(c.h))))
	if x1 <= x0 || y1 <= y0 {
		return
	}
	bw := x1 - x0
	cov := make([]float64, bw+1)
	xs := make([]float64, 0, 16)
	for y := y0; y < y1; y++ {
		for i := range cov {
			cov[i] = 0
		}
		any := false
		for s := 0; s < subRows; s++ {
			sy := float64(y) + (float64(s)+0.5)/subRows
			xs = xs[:0]
			for i := range p {
				a, b := p[i], p[(i+1)%len(p)]
				if (a.Y <= sy && b.Y > sy) || (b.Y <= sy && a.Y > sy) {
					xs = append(xs, a.X+(sy-a.Y)*(b.X-a.X)/(b.Y-a.Y))
				}
			}
			if len(xs) < 2 {
				continue
			}
			sort.Float64s(xs)
			for k := 0; k+1 < len(xs); k += 2 {
				xa := math.Max(xs[k], float64(x0))
				xb := math.Min(xs[k+1], float64(x1))
				if xb <= xa {
					continue
				}
				any = true
				addSpan(cov, xa-float64(x0), xb-float64(x0), 1.0/subRows)
			}
		}
		if !any {
			continue
		}
		for i := 0; i < bw; i++ {
			k := cov[i]
			if k <= 0.002 {
				continue
			}
			if k > 1 {
				k = 1
			}
			col, a := sh(float64(x0+i)+0.5, float64(y)+0.5)
			c.blend(x0+i, y, col, a*k)
		}
	}
}

func addSpan(cov []float64, xa, xb, w float64) {
	ia, ib := int(xa), int(xb)
	if ia == ib {
		cov[ia] += (xb - xa) * w
		return
	}
	cov[ia] += (float64(ia+1) - xa) * w
	for i := ia + 1; i < ib; i++ {
		cov[i] += w
	}
	if ib < len(cov) {
		cov[ib] += (xb - float64(ib)) * w
	}
}

// boxBlur blurs a float plane of nch interleaved channels with a box of radius r, in place.
func boxBlur(pix []float32, w, h, nch, rx, ry int) {
	if rx > 0 {
		line := make([]float32, w*nch)
		for y := 0; y < h; y++ {
			row := pix[y*w*nch : (y+1)*w*nch]
			copy(line, row)
			for ch := 0; ch < nch; ch++ {
				var sum float32
				n := float32(2*rx + 1)
				for i := -rx; i <= rx; i++ {
					sum += line[clampi(i, 0, w-1)*nch+ch]
				}
				for x := 0; x < w; x++ {
					row[x*nch+ch] = sum / n
					sum += line[clampi(x+rx+1, 0, w-1)*nch+ch] - line[clampi(x-rx, 0, w-1)*nch+ch]
				}
			}
		}
	}
	if ry > 0 {
		col := make([]float32, h)
		n := float32(2*ry + 1)
		for x := 0; x < w; x++ {
			for ch := 0; ch < nch; ch++ {
				for y := 0; y < h; y++ {
					col[y] = pix[(y*w+x)*nch+ch]
				}
				var sum float32
				for i := -ry; i <= ry; i++ {
					sum += col[clampi(i, 0, h-1)]
				}
				for y := 0; y < h; y++ {
					pix[(y*w+x)*nch+ch] = sum / n
					sum += col[clampi(y+ry+1, 0, h-1)] - col[clampi(y-ry, 0, h-1)]
				}
			}
		}
	}
}

// blur is an approximate Gaussian of standard deviation sigma (three box passes).
func blur(pix []float32, w, h, nch int, sigma float64) {
	if sigma < 0.5 {
		return
	}
	r := int(math.Round(math.Sqrt(12*sigma*sigma/3+1)/2 - 0.5))
	if r < 1 {
		r = 1
	}
	for i := 0; i < 3; i++ {
		boxBlur(pix, w, h, nch, r, r)
	}
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// circle gives n points of a circle in canvas pixels.
func circlePts(cx, cy, rx, ry float64, n int) []pt {
	out := make([]pt, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return out
}

// hull is the convex hull of points (monotone chain).
func hull(p []pt) []pt {
	if len(p) < 3 {
		return p
	}
	q := append([]pt(nil), p...)
	sort.Slice(q, func(i, j int) bool {
		if q[i].X != q[j].X {
			return q[i].X < q[j].X
		}
		return q[i].Y < q[j].Y
	})
	cross := func(o, a, b pt) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	h := make([]pt, 0, 2*len(q))
	for _, v := range q {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], v) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, v)
	}
	lo := len(h) + 1
	for i := len(q) - 2; i >= 0; i-- {
		v := q[i]
		for len(h) >= lo && cross(h[len(h)-2], h[len(h)-1], v) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, v)
	}
	return h[:len(h)-1]
}
