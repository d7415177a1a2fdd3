package mud

import (
	"image"
	"math"
	"slices"
	"sort"
)

// patch is a region's pixels at working size: BGR bytes row by row, and which of them lie inside
// the region's polygon.
type patch struct {
	w, h int
	bgr  []uint8
	in   []bool
}

// insidePolygon builds the mask of a w×h patch for polygon pts given in patch pixels: a pixel
// is inside when a ray from its centre to the right crosses the polygon's edges an odd number
// of times. Each row's crossings are found once, so a gate's many-pointed regions cost little
// more than a rectangle.
func insidePolygon(w, h int, pts [][2]float64) []bool {
	in := make([]bool, w*h)
	xs := make([]float64, 0, len(pts))
	for y := 0; y < h; y++ {
		fy := float64(y) + 0.5
		xs = xs[:0]
		for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
			pi, pj := pts[i], pts[j]
			if (pi[1] > fy) != (pj[1] > fy) {
				xs = append(xs, (pj[0]-pi[0])*(fy-pi[1])/(pj[1]-pi[1])+pi[0])
			}
		}
		sort.Float64s(xs)
		k := 0
		for x := 0; x < w; x++ {
			fx := float64(x) + 0.5
			for k < len(xs) && xs[k] <= fx {
				k++
			}
			in[y*w+x] = (len(xs)-k)%2 == 1
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

// InsidePolygon is insidePolygon for other checks' features (models/cover).
func InsidePolygon(w, h int, pts [][2]float64) []bool { return insidePolygon(w, h, pts) }

// BoxMean is boxMean for other checks' features (models/cover).
func BoxMean(g []float64, w, h, r int) []float64 { return boxMean(g, w, h, r) }

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

// openRows is the morphological opening of g along its rows (the minimum, then the maximum, over
// 2r+1 neighbours in the row): it removes bright structures narrower than 2r+1 columns, such as
// rain streaks, and keeps clods that are wider.
func openRows(g []float64, w, h, r int) []float64 {
	ero := make([]float64, len(g))
	out := make([]float64, len(g))
	for y := 0; y < h; y++ {
		row, er := g[y*w:(y+1)*w], ero[y*w:(y+1)*w]
		for x := range row {
			m := row[x]
			for k := max(0, x-r); k <= min(w-1, x+r); k++ {
				m = math.Min(m, row[k])
			}
			er[x] = m
		}
		o := out[y*w : (y+1)*w]
		for x := range er {
			m := er[x]
			for k := max(0, x-r); k <= min(w-1, x+r); k++ {
				m = math.Max(m, er[k])
			}
			o[x] = m
		}
	}
	return out
}

// pixelStats is the number of per-pixel statistics averaged over a window; windowStats adds
// the ratios computed from a window's averages.
const (
	pixelStats  = 43
	windowStats = pixelStats + 7
)

// NumFeatures is the length of the classic scorer's feature vector: for two window families
// (tiles spanning the region's height, and wheel-sized windows), the mean and the maximum of
// each window statistic over the windows, then the region's brightness, spread and light colour.
const NumFeatures = 4*windowStats + 5

// whiteBalance returns the gains that make the median pixel of the region grey (B, G, R), so
// that the warm light of dusk or the blue of shade do not read as mud colour.
func whiteBalance(p patch) [3]float64 {
	var hist [3][256]int
	n := 0
	for i, in := range p.in {
		if !in {
			continue
		}
		for c := 0; c < 3; c++ {
			hist[c][p.bgr[3*i+c]]++
		}
		n++
	}
	var med [3]float64
	for c := 0; c < 3; c++ {
		acc := 0
		for v, k := range hist[c] {
			acc += k
			if 2*acc >= n {
				med[c] = float64(v)
				break
			}
		}
	}
	m := (med[0] + med[1] + med[2]) / 3
	var gain [3]float64
	for c := range gain {
		gain[c] = math.Max(0.5, math.Min(2, (m+8)/(med[c]+8)))
	}
	return gain
}

// features describes a patch by illumination-normalised statistics of brightness, fine and
// clod-sized texture, fragmentation of dark areas and white-balanced colour, over windows along
// it, so that mud on one wheel is not diluted by the clean road around it. Rain streaks read as
// texture too, so it also counts clods after a row-wise opening that removes thin bright lines,
// thin vertical ridges, and the orientation of the gradients (the structure tensor). It also
// returns the patch's sharpness for frame selection.
func features(p patch) (f []float64, sharp float64) {
	n := p.w * p.h
	g := make([]float64, n)
	chroma := make([]float64, n)
	wbChroma := make([]float64, n)
	brown := make([]bool, n)
	brownWB := make([]uint8, n) // 0, 1 weak, 2 strong
	ybWB := make([]float64, n)
	gain := whiteBalance(p)
	var hist [256]int
	nIn := 0
	for i := 0; i < n; i++ {
		b, gg, r := float64(p.bgr[3*i]), float64(p.bgr[3*i+1]), float64(p.bgr[3*i+2])
		g[i] = 0.114*b + 0.587*gg + 0.299*r
		in := (r + gg + b) / 3
		a, yb := (r-gg)/(in+12), ((r+gg)/2-b)/(in+12)
		chroma[i] = math.Sqrt(a*a + yb*yb)
		brown[i] = r >= gg && gg >= b*0.9 && a > 0.05 && a < 0.6 && yb > 0.12 && yb < 0.9
		b, gg, r = b*gain[0], gg*gain[1], r*gain[2]
		in = (r + gg + b) / 3
		a, yb = (r-gg)/(in+12), ((r+gg)/2-b)/(in+12)
		wbChroma[i] = math.Sqrt(a*a + yb*yb)
		ybWB[i] = yb
		switch {
		case r >= gg && gg >= b*0.9 && a > 0.05 && a < 0.6 && yb > 0.12 && yb < 0.9:
			brownWB[i] = 2
		case r >= gg*0.98 && a > 0.01 && yb > 0.04 && yb < 0.9:
			brownWB[i] = 1
		}
		if p.in[i] {
			hist[int(g[i]+0.5)]++
			nIn++
		}
	}
	f = make([]float64, NumFeatures)
	if nIn < 16 {
		return f, 0
	}
	// Percentiles of the grey level, to the nearest level.
	pct := func(q int) float64 {
		acc := 0
		for v, k := range hist {
			acc += k
			if acc > nIn*q/100 {
				return float64(v)
			}
		}
		return 255
	}
	p5, p50, p95 := pct(5), pct(50), pct(95)
	spread := p95 - p5 + 10
	b1, b4 := boxMean(g, p.w, p.h, 1), boxMean(g, p.w, p.h, 4)
	dark := make([]float64, n)
	for i := range dark {
		dark[i] = b2f((b1[i]-p5)/spread < 0.22)
	}
	// Share of dark (tyre) pixels around each pixel: mud on a tyre is a lighter pixel among dark
	// ones.
	darkNear := boxMean(dark, p.w, p.h, 4)
	// Clods: a local extremum of the difference between a fine and a coarse blur, in grey and
	// in the white-balanced yellow-blue axis (mud is yellower than a tyre, a rim or the road).
	dog := make([]float64, n)
	for i := range dog {
		dog[i] = (b1[i] - b4[i]) / spread
	}
	y1, y4 := boxMean(ybWB, p.w, p.h, 1), boxMean(ybWB, p.w, p.h, 4)
	// Rain: streaks are thin, near-vertical bright lines. The grey level opened along the rows
	// loses them but keeps clods; what the opening removes is the streaks (and thin highlights).
	gO := openRows(g, p.w, p.h, 2)
	o1, o4 := boxMean(gO, p.w, p.h, 1), boxMean(gO, p.w, p.h, 4)
	dogO := make([]float64, n)
	ridge := make([]bool, n)
	for i := range dogO {
		dogO[i] = (o1[i] - o4[i]) / spread
		ridge[i] = (g[i]-gO[i])/spread > 0.06
	}
	peak := func(v []float64, i, x, y int, sign float64) bool {
		c := sign * v[i]
		if x == 0 || y == 0 || x == p.w-1 || y == p.h-1 {
			return false
		}
		for _, j := range [8]int{i - 1, i + 1, i - p.w, i + p.w, i - p.w - 1, i - p.w + 1, i + p.w - 1, i + p.w + 1} {
			if sign*v[j] >= c {
				return false
			}
		}
		return true
	}

	// Windows: tiles as tall as the patch (family 0), and wheel-sized squares at a few heights
	// (family 1).
	side0 := min(p.h, p.w)
	side1 := max(4, min(p.w, int(math.Round(0.6*float64(p.h)))))
	var bands []int // first row of each band of family 1
	for y0 := 0; ; y0 += max(1, side1/4) {
		if y0+side1 >= p.h {
			bands = append(bands, p.h-side1)
			break
		}
		bands = append(bands, y0)
	}
	// Rows are cut into segments at every band's edges; a pixel adds to its segment's column,
	// and a window's sums are those of the segments its band covers.
	cuts := []int{0, p.h}
	for _, y0 := range bands {
		cuts = append(cuts, y0, y0+side1)
	}
	sort.Ints(cuts)
	cuts = slices.Compact(cuts)
	segOf := make([]int, p.h)
	for sg := 0; sg+1 < len(cuts); sg++ {
		for y := cuts[sg]; y < cuts[sg+1]; y++ {
			segOf[y] = sg
		}
	}
	nSeg := len(cuts) - 1
	cols := make([][pixelStats]float64, p.w*nSeg)
	colN := make([]float64, p.w*nSeg)
	var st [pixelStats]float64
	for i := 0; i < n; i++ {
		if !p.in[i] {
			continue
		}
		st = [pixelStats]float64{}
		gn := (g[i] - p5) / spread
		c1 := math.Abs(g[i]-b1[i]) / spread
		c2 := math.Abs(b1[i]-b4[i]) / spread
		sharp += math.Abs(g[i] - b1[i])
		mid := gn > 0.2 && gn < 0.75
		x, y := i%p.w, i/p.w
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
		if dark[i] > 0 {
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
		dn := darkNear[i]
		near := dn >= 0.15
		st[20] = b2f(brownWB[i] > 0)
		st[21] = b2f(brownWB[i] > 1)
		st[22] = b2f(brownWB[i] > 0 && near && dark[i] == 0)
		st[23] = b2f(mid && dn >= 0.2 && dn <= 0.85)
		st[24] = b2f(gn >= 0.35 && dn >= 0.3)
		// Horizontal edges survive horizontal motion blur.
		vg := 0.0
		if y > 0 && y < p.h-1 {
			vg = math.Abs(b1[i+p.w]-b1[i-p.w]) / spread
		}
		st[25] = b2f(vg > 0.15)
		st[26] = b2f(vg > 0.15 && near)
		st[27] = wbChroma[i]
		st[28] = b2f(wbChroma[i] > 0.1 && near && dark[i] == 0)
		st[29] = b2f(gn < 0.2 && c1 > 0.06)
		if dog[i] > 0.06 && peak(dog, i, x, y, 1) {
			st[30] = 1
			st[32] = b2f(dn >= 0.2)
		}
		st[31] = b2f(dog[i] < -0.06 && peak(dog, i, x, y, -1))
		st[33] = b2f(y1[i]-y4[i] > 0.04 && peak(y1, i, x, y, 1))
		if dogO[i] > 0.06 && peak(dogO, i, x, y, 1) {
			st[34] = 1
			st[35] = b2f(dn >= 0.2)
		}
		st[36] = b2f(dogO[i] < -0.06 && peak(dogO, i, x, y, -1))
		c2O := math.Abs(dogO[i])
		st[37] = c2O
		st[38] = b2f(c2O > 0.12)
		// A streak pixel: a thin bright ridge that continues above and below.
		st[39] = b2f(ridge[i] && y > 1 && y < p.h-2 && x > 0 && x < p.w-1 && (ridge[i-2*p.w] || ridge[i-2*p.w-1] || ridge[i-2*p.w+1]) && (ridge[i+2*p.w] || ridge[i+2*p.w-1] || ridge[i+2*p.w+1]))
		// Structure tensor: streaks have horizontal gradients only, clods gradients every way.
		if x > 0 && x < p.w-1 && y > 0 && y < p.h-1 {
			gx, gy := (b1[i+1]-b1[i-1])/spread, (b1[i+p.w]-b1[i-p.w])/spread
			st[40], st[41], st[42] = gx*gx, gy*gy, gx*gy
		}
		k := segOf[y]*p.w + x
		c := &cols[k]
		for j, v := range st {
			c[j] += v
		}
		colN[k]++
	}
	sharp /= float64(nIn)
	for fam, side := range [2]int{side0, side1} {
		step := max(1, side/2)
		spans := [][2]int{{0, nSeg}} // segments of each band
		if fam == 1 {
			step = max(1, side/4)
			spans = spans[:0]
			for _, y0 := range bands {
				spans = append(spans, [2]int{slices.Index(cuts, y0), slices.Index(cuts, y0+side)})
			}
		}
		var sum, mx [windowStats]float64
		var count float64
		for _, sp := range spans {
			for x0 := 0; x0+side <= p.w; x0 += step {
				var t [windowStats]float64
				var tn float64
				for sg := sp[0]; sg < sp[1]; sg++ {
					for x := sg*p.w + x0; x < sg*p.w+x0+side; x++ {
						tn += colN[x]
						for k, v := range cols[x] {
							t[k] += v
						}
					}
				}
				if tn < float64(side*side)/4 {
					continue
				}
				for k := 0; k < pixelStats; k++ {
					t[k] /= tn
				}
				// Per dark pixel: a clean tyre is a solid dark ring, a muddy one a broken ring
				// with light clods inside it.
				if t[17] > 0.05 {
					t[pixelStats] = t[18] / t[17]
					t[pixelStats+1] = t[23] / t[17]
					t[pixelStats+2] = t[22] / t[17]
					t[pixelStats+3] = t[24] / t[17]
				}
				// Orientation of the window's texture: the share of vertical gradient energy
				// and the coherence of the structure tensor.
				if e := t[40] + t[41]; e > 1e-6 {
					t[pixelStats+4] = t[41] / e
					t[pixelStats+5] = math.Sqrt((t[40]-t[41])*(t[40]-t[41])+4*t[42]*t[42]) / e
				}
				// Clods that survive the removal of streaks, per clod found before it.
				t[pixelStats+6] = (t[34] + 0.002) / (t[30] + 0.002)
				for k, v := range t {
					sum[k] += v
					mx[k] = math.Max(mx[k], v)
				}
				count++
			}
		}
		if count == 0 {
			continue
		}
		o := fam * 2 * windowStats
		for k := 0; k < windowStats; k++ {
			f[o+k] = sum[k] / count
			f[o+windowStats+k] = mx[k]
		}
	}
	o := 4 * windowStats
	f[o], f[o+1], f[o+2] = p5/255, p50/255, spread/255
	f[o+3], f[o+4] = gain[2]/gain[0], gain[1]/gain[0]
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
