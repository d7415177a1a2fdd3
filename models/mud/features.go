package mud

import (
	"image"
	"math"
	"sort"
)

// patch is a region's pixels at working size: BGR bytes row by row, and which of them lie inside
// the region's polygon.
type patch struct {
	w, h int
	bgr  []uint8
	in   []bool
}

// insidePolygon builds the mask of a w×h patch for polygon pts given in patch pixels.
func insidePolygon(w, h int, pts [][2]float64) []bool {
	in := make([]bool, w*h)
	for y := 0; y < h; y++ {
		fy := float64(y) + 0.5
		for x := 0; x < w; x++ {
			fx := float64(x) + 0.5
			c := false
			for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
				pi, pj := pts[i], pts[j]
				if (pi[1] > fy) != (pj[1] > fy) && fx < (pj[0]-pi[0])*(fy-pi[1])/(pj[1]-pi[1])+pi[0] {
					c = !c
				}
			}
			in[y*w+x] = c
		}
	}
	return in
}

// patchPolygon maps a region's polygon into the pixels of a w×h patch cut from box of a
// fw×fh frame.
func patchPolygon(r Region, fw, fh int, box image.Rectangle, w, h int) [][2]float64 {
	sx, sy := float64(w)/float64(box.Dx()), float64(h)/float64(box.Dy())
	out := make([][2]float64, len(r.Polygon))
	for i, p := range r.Polygon {
		out[i] = [2]float64{(p[0]*float64(fw-1) - float64(box.Min.X) + 0.5) * sx, (p[1]*float64(fh-1) - float64(box.Min.Y) + 0.5) * sy}
	}
	return out
}

// boxMean is the mean of g over a (2r+1)² window around each pixel, clamped at the edges.
func boxMean(g []float64, w, h, r int) []float64 {
	ii := make([]float64, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		row := 0.0
		for x := 0; x < w; x++ {
			row += g[y*w+x]
			ii[(y+1)*(w+1)+x+1] = ii[y*(w+1)+x+1] + row
		}
	}
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			s := ii[y1*(w+1)+x1] - ii[y0*(w+1)+x1] - ii[y1*(w+1)+x0] + ii[y0*(w+1)+x0]
			out[y*w+x] = s / float64((y1-y0)*(x1-x0))
		}
	}
	return out
}

// tileFeatures is the number of statistics computed per tile; NumFeatures has the region's
// means of them and their maxima over its tiles, plus the region's brightness and spread.
const tileFeatures = 20

// NumFeatures is the length of the classic scorer's feature vector.
const NumFeatures = 2*tileFeatures + 3

// features describes a patch by illumination-normalised statistics of brightness, fine and
// clod-sized texture, and colour, over square tiles along it, so that mud on one wheel is not
// diluted by the clean road around it. It also returns the patch's sharpness for frame selection.
func features(p patch) (f []float64, sharp float64) {
	n := p.w * p.h
	g := make([]float64, n)
	chroma := make([]float64, n)
	brown := make([]bool, n)
	var vals []float64
	for i := 0; i < n; i++ {
		b, gg, r := float64(p.bgr[3*i]), float64(p.bgr[3*i+1]), float64(p.bgr[3*i+2])
		g[i] = 0.114*b + 0.587*gg + 0.299*r
		in := (r + gg + b) / 3
		a, yb := (r-gg)/(in+12), ((r+gg)/2-b)/(in+12)
		chroma[i] = math.Hypot(a, yb)
		brown[i] = r >= gg && gg >= b*0.9 && a > 0.05 && a < 0.6 && yb > 0.12 && yb < 0.9
		if p.in[i] {
			vals = append(vals, g[i])
		}
	}
	f = make([]float64, NumFeatures)
	if len(vals) < 16 {
		return f, 0
	}
	sort.Float64s(vals)
	p5, p50, p95 := vals[len(vals)*5/100], vals[len(vals)/2], vals[len(vals)*95/100]
	spread := p95 - p5 + 10
	b1, b4 := boxMean(g, p.w, p.h, 1), boxMean(g, p.w, p.h, 4)
	// Per-pixel statistics, each in [0, 1] (or a small positive number), summed per column:
	// tiles span the patch's height, so a tile's sums are sums of its columns.
	cols := make([][tileFeatures]float64, p.w)
	colN := make([]float64, p.w)
	var st [tileFeatures]float64
	for i := 0; i < n; i++ {
		if !p.in[i] {
			continue
		}
		st = [tileFeatures]float64{}
		gn := (g[i] - p5) / spread
		c1 := math.Abs(g[i]-b1[i]) / spread
		c2 := math.Abs(b1[i]-b4[i]) / spread
		sharp += math.Abs(g[i] - b1[i])
		mid := gn > 0.2 && gn < 0.75
		st[0] = b2f(gn < 0.2)
		st[1] = b2f(mid)
		st[2] = b2f(gn >= 0.75)
		st[3] = c1
		st[4] = b2f(c1 > 0.06)
		st[5] = b2f(c1 > 0.12)
		st[6] = c2
		st[7] = b2f(c2 > 0.06)
		st[8] = b2f(c2 > 0.12)
		st[9] = b2f(c2 > 0.2)
		st[10] = chroma[i]
		st[11] = b2f(brown[i])
		st[12] = b2f(brown[i] && c2 > 0.08)
		st[13] = b2f(brown[i] && mid)
		st[14] = b2f(gn < 0.2 && c1 < 0.04)
		st[15] = b2f(mid && c2 > 0.1)
		st[16] = b2f(mid && c1 > 0.08)
		// Fragmented dark: a dark pixel (after smoothing) beside a lighter one. A clean tyre is
		// one dark ring; mud breaks it into pieces.
		x, y := i%p.w, i/p.w
		if (b1[i]-p5)/spread < 0.22 {
			st[17] = 1
			edges := 0.0
			for _, j := range [4]int{i - 1, i + 1, i - p.w, i + p.w} {
				if (j == i-1 && x == 0) || (j == i+1 && x == p.w-1) || j < 0 || j >= n {
					continue
				}
				if (b1[j]-p5)/spread > 0.3 {
					edges++
				}
			}
			st[18] = edges / 4
		}
		st[19] = b2f(y > 0 && math.Abs(b1[i]-b1[i-p.w])/spread > 0.08 && math.Abs(b1[i]-b1[max(0, i-1)])/spread > 0.08)
		for k, v := range st {
			cols[x][k] += v
		}
		colN[x]++
	}
	sharp /= float64(len(vals))
	side := min(p.h, p.w)
	step := max(1, side/2)
	var sum [tileFeatures]float64
	var mx [tileFeatures]float64
	var count float64
	for x0 := 0; x0+side <= p.w; x0 += step {
		var t [tileFeatures]float64
		var tn float64
		for x := x0; x < x0+side; x++ {
			tn += colN[x]
			for k, v := range cols[x] {
				t[k] += v
			}
		}
		if tn < float64(side*side)/4 {
			continue
		}
		for k := range t {
			t[k] /= tn
			sum[k] += t[k]
			mx[k] = math.Max(mx[k], t[k])
		}
		count++
	}
	if count == 0 {
		return f, sharp
	}
	for k := 0; k < tileFeatures; k++ {
		f[k] = sum[k] / count
		f[tileFeatures+k] = mx[k]
	}
	f[2*tileFeatures], f[2*tileFeatures+1], f[2*tileFeatures+2] = p5/255, p50/255, spread/255
	// A frame that is too dark or blown out shows the regions badly whatever its edges say.
	if p50 < 25 || p50 > 235 {
		sharp *= 0.3
	}
	return f, sharp
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
