package cover

import (
	"math"
	"sort"

	"sitegate/models/mud"
)

// patch is a region's pixels at working size: BGR bytes row by row, and which of them lie
// inside the region's polygon.
type patch struct {
	w, h int
	bgr  []uint8
	in   []bool
}

// Gains are white-balance gains (B, G, R) that make a frame's median colour grey.
type Gains [3]float64

// grayWorld returns the gains that make the median pixel of bgr (packed BGR bytes) grey. They
// are taken over the whole frame, not the region: a bed all under a blue tarp would otherwise
// be balanced to grey.
func grayWorld(bgr []uint8) Gains {
	var hist [3][256]int
	n := len(bgr) / 3
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			hist[c][bgr[3*i+c]]++
		}
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
	var g Gains
	for c := range g {
		g[c] = math.Max(0.6, math.Min(1.7, (m+10)/(med[c]+10)))
	}
	return g
}

// Per-pixel statistics averaged over tiles and over the region.
const (
	sFine     = iota // |g - blur1|: the finest texture (a net's mesh, gravel)
	sMid             // |blur1 - blur3|: clod-sized texture
	sCoarse          // |blur3 - blur8|: heaps, folds, shadows
	sFineHi          // fine texture above a step
	sMidHi           // clod texture above a step
	sPeakFine        // local extremes of blur1-blur3 (clods, stones)
	sPeakMid         // local extremes of blur2-blur6 (lumps)
	sEdge            // a strong gradient
	sJxx             // structure tensor
	sJyy
	sJxy
	sSat     // a saturated pixel after white balance
	sBlue    // saturated blue
	sGreen   // saturated green
	sOrange  // saturated orange or red
	sYellow  // saturated yellow
	sBrown   // a brown, moderately saturated pixel (soil, sand)
	sGrey    // an unsaturated pixel (concrete, gravel, a grey lid)
	sChroma  // chroma after white balance
	sRawChr  // chroma as the camera saw it
	sBright  // grey level (normalised)
	sDark    // a dark pixel (normalised grey below 0.2)
	sLight   // a light pixel (above 0.8)
	nPixStat // the number of them
)

// tileStats are the statistics each tile is described by, and how tiles are summarised over the
// region.
var tileStats = []int{sFine, sMid, sCoarse, sPeakFine, sPeakMid, sEdge, sSat, sBrown, sGrey, sChroma, sBright}

// Feature layout.
const (
	// region-wide: every pixel statistic, then coherence, orientation entropy, the fine/mid
	// and mid/coarse energy ratios, hue concentration, percentiles, the region flag, the mesh
	// periodicity across and down.
	nGlobal = nPixStat + 12
	// per tile statistic: mean, min, max, spread, 25th and 75th percentiles over tiles; plus
	// tile coherence mean, min, max.
	nTile = 6*11 + 3
	// tiles that look like load, like cover, far from the median tile.
	nShares = 6
	// four horizontal strips, top to bottom: fine, mid, peaks, brown, grey level, saturation.
	nStrip = 4 * 6
	// NumFeatures is the length of a region's feature vector.
	NumFeatures = nGlobal + nTile + nShares + nStrip
)

// minSpread is the least grey-level spread (98th less 2nd percentile) a patch is stretched by:
// stretching a flat tarp's few levels to the full range would make its noise and seams look as
// coarse as gravel.
var minSpread = 48.0

// features describes a patch by white-balanced colour, multi-scale texture, gradient
// orientation, clod density, per-tile shares of cover-like and load-like texture, and a
// top-to-bottom profile (what stands above the side boards shows in the bottom strips of the
// above-bed band). above says the region is the above-bed band. It also returns the patch's
// sharpness, for frame selection.
func features(p patch, gains Gains, above bool) (f []float64, sharp float64) {
	f = make([]float64, NumFeatures)
	n := p.w * p.h
	nIn := 0
	for _, in := range p.in {
		if in {
			nIn++
		}
	}
	if nIn < 32 || p.w < 8 || p.h < 8 {
		return f, 0
	}
	g := make([]float64, n)
	var hist [256]int
	for i := 0; i < n; i++ {
		b, gg, r := float64(p.bgr[3*i]), float64(p.bgr[3*i+1]), float64(p.bgr[3*i+2])
		g[i] = 0.114*b + 0.587*gg + 0.299*r
		if p.in[i] {
			hist[min(255, int(g[i]+0.5))]++
		}
	}
	pct := func(q int) float64 {
		acc := 0
		for v, k := range hist {
			acc += k
			if acc*100 > nIn*q {
				return float64(v)
			}
		}
		return 255
	}
	p2, p50, p98 := pct(2), pct(50), pct(98)
	spread := max(p98-p2, minSpread) + 12
	for i := range g {
		g[i] = (g[i] - p2) / spread
	}
	b1, b2, b3 := mud.BoxMean(g, p.w, p.h, 1), mud.BoxMean(g, p.w, p.h, 2), mud.BoxMean(g, p.w, p.h, 3)
	b6, b8 := mud.BoxMean(g, p.w, p.h, 6), mud.BoxMean(g, p.w, p.h, 8)
	dogF := make([]float64, n)
	dogM := make([]float64, n)
	for i := range dogF {
		dogF[i] = b1[i] - b3[i]
		dogM[i] = b2[i] - b6[i]
	}
	peak := func(v []float64, i, x, y int, t float64) bool {
		c := v[i]
		if math.Abs(c) < t || x == 0 || y == 0 || x == p.w-1 || y == p.h-1 {
			return false
		}
		s := 1.0
		if c < 0 {
			s = -1
		}
		for _, j := range [8]int{i - 1, i + 1, i - p.w, i + p.w, i - p.w - 1, i - p.w + 1, i + p.w - 1, i + p.w + 1} {
			if s*v[j] >= s*c {
				return false
			}
		}
		return true
	}

	// Tiles: squares about a quarter of the patch's height, at least 6 pixels.
	side := max(6, p.h/4)
	tc, tr := max(1, p.w/side), max(1, p.h/side)
	tw, th := float64(p.w)/float64(tc), float64(p.h)/float64(tr)
	tiles := make([][nPixStat + 1]float64, tc*tr) // the last is the pixel count
	var strips [4][nPixStat + 1]float64
	var glob [nPixStat]float64
	var orient [8]float64
	var hueX, hueY, hueW float64
	for y := 0; y < p.h; y++ {
		ty := min(tr-1, int(float64(y)/th))
		sy := min(3, y*4/p.h)
		for x := 0; x < p.w; x++ {
			i := y*p.w + x
			if !p.in[i] {
				continue
			}
			var st [nPixStat]float64
			fine := math.Abs(g[i] - b1[i])
			mid := math.Abs(b1[i] - b3[i])
			st[sFine] = fine
			st[sMid] = mid
			st[sCoarse] = math.Abs(b3[i] - b8[i])
			st[sFineHi] = b2f(fine > 0.05)
			st[sMidHi] = b2f(mid > 0.06)
			st[sPeakFine] = b2f(peak(dogF, i, x, y, 0.04))
			st[sPeakMid] = b2f(peak(dogM, i, x, y, 0.04))
			sharp += fine
			if x > 0 && x < p.w-1 && y > 0 && y < p.h-1 {
				gx, gy := b1[i+1]-b1[i-1], b1[i+p.w]-b1[i-p.w]
				m2 := gx*gx + gy*gy
				st[sEdge] = b2f(m2 > 0.01)
				st[sJxx], st[sJyy], st[sJxy] = gx*gx, gy*gy, gx*gy
				if m2 > 1e-4 {
					a := math.Atan2(gy, gx)
					if a < 0 {
						a += math.Pi
					}
					orient[min(7, int(a/math.Pi*8))] += math.Sqrt(m2)
				}
			}
			bb, gg, rr := float64(p.bgr[3*i])*gains[0], float64(p.bgr[3*i+1])*gains[1], float64(p.bgr[3*i+2])*gains[2]
			hue, chroma := hueChroma(bb, gg, rr)
			rb, rg, rrr := float64(p.bgr[3*i]), float64(p.bgr[3*i+1]), float64(p.bgr[3*i+2])
			_, raw := hueChroma(rb, rg, rrr)
			st[sChroma], st[sRawChr] = chroma, raw
			sat := chroma > 0.28
			st[sSat] = b2f(sat)
			switch {
			case sat && hue >= 175 && hue < 265:
				st[sBlue] = 1
			case sat && hue >= 75 && hue < 175:
				st[sGreen] = 1
			case sat && (hue < 38 || hue >= 320):
				st[sOrange] = 1
			case sat && hue >= 38 && hue < 75:
				st[sYellow] = 1
			}
			st[sBrown] = b2f(chroma > 0.06 && chroma <= 0.4 && hue >= 10 && hue < 60)
			st[sGrey] = b2f(chroma <= 0.08)
			st[sBright] = g[i]
			st[sDark] = b2f(g[i] < 0.2)
			st[sLight] = b2f(g[i] > 0.8)
			if chroma > 0.1 {
				a := hue * math.Pi / 180
				hueX += chroma * math.Cos(a)
				hueY += chroma * math.Sin(a)
				hueW += chroma
			}
			t := &tiles[min(tc-1, int(float64(x)/tw))+ty*tc]
			s := &strips[sy]
			for k, v := range st {
				t[k] += v
				s[k] += v
				glob[k] += v
			}
			t[nPixStat]++
			s[nPixStat]++
		}
	}
	sharp /= float64(nIn)
	for k := range glob {
		glob[k] /= float64(nIn)
	}
	copy(f, glob[:])
	o := nPixStat
	f[o] = coherence(glob[sJxx], glob[sJyy], glob[sJxy])
	tot := 0.0
	for _, v := range orient {
		tot += v
	}
	if tot > 0 {
		e := 0.0
		for _, v := range orient {
			if v > 0 {
				e -= v / tot * math.Log(v/tot)
			}
		}
		f[o+1] = e / math.Log(8)
		mx := 0.0
		for _, v := range orient {
			mx = math.Max(mx, v/tot)
		}
		f[o+2] = mx
	}
	f[o+3] = (glob[sFine] + 1e-3) / (glob[sMid] + 1e-3)
	f[o+4] = (glob[sMid] + 1e-3) / (glob[sCoarse] + 1e-3)
	if hueW > 0 {
		f[o+5] = math.Hypot(hueX, hueY) / hueW
	}
	f[o+6], f[o+7], f[o+8] = p2/255, p50/255, spread/255
	f[o+9] = b2f(above)
	f[o+10], f[o+11] = mesh(g, b1, p, 1), mesh(g, b1, p, p.w)
	o = nGlobal

	// Tiles: each statistic's distribution over the tiles that lie mostly inside the region.
	var live [][nPixStat + 1]float64
	for _, t := range tiles {
		if t[nPixStat] >= tw*th/2 {
			for k := 0; k < nPixStat; k++ {
				t[k] /= t[nPixStat]
			}
			live = append(live, t)
		}
	}
	if len(live) == 0 {
		return f, sharp
	}
	vals := make([]float64, len(live))
	med := make(map[int]float64, len(tileStats))
	for _, k := range tileStats {
		for i, t := range live {
			vals[i] = t[k]
		}
		sort.Float64s(vals)
		q := func(p float64) float64 { return vals[min(len(vals)-1, int(p*float64(len(vals))))] }
		mean := 0.0
		for _, v := range vals {
			mean += v
		}
		mean /= float64(len(vals))
		sd := 0.0
		for _, v := range vals {
			sd += (v - mean) * (v - mean)
		}
		f[o], f[o+1], f[o+2] = mean, vals[0], vals[len(vals)-1]
		f[o+3], f[o+4], f[o+5] = math.Sqrt(sd/float64(len(vals))), q(0.25), q(0.75)
		med[k] = q(0.5)
		o += 6
	}
	coh := make([]float64, len(live))
	cm := 0.0
	for i, t := range live {
		coh[i] = coherence(t[sJxx], t[sJyy], t[sJxy])
		cm += coh[i]
	}
	sort.Float64s(coh)
	f[o], f[o+1], f[o+2] = cm/float64(len(coh)), coh[0], coh[len(coh)-1]
	o += 3

	// Shares of tiles: granular load (clods and no colour), smooth cover (little clod texture, or
	// a saturated colour), and tiles unlike the region's median tile (a tear, a heap's crest).
	var load, loadStrong, cover, coverColour, odd, oddColour float64
	for i, t := range live {
		_ = i
		granular := t[sPeakFine] > 0.03 && t[sMid] > 0.04
		load += b2f(granular && t[sSat] < 0.3)
		loadStrong += b2f(t[sPeakFine] > 0.05 && t[sMid] > 0.07 && t[sSat] < 0.2)
		cover += b2f(t[sPeakFine] < 0.02 && t[sMid] < 0.035)
		coverColour += b2f(t[sSat] > 0.5)
		odd += b2f(math.Abs(t[sMid]-med[sMid]) > 0.03 || math.Abs(t[sPeakFine]-med[sPeakFine]) > 0.02)
		oddColour += b2f(math.Abs(t[sSat]-med[sSat]) > 0.4 || math.Abs(t[sBrown]-med[sBrown]) > 0.4)
	}
	nl := float64(len(live))
	f[o], f[o+1], f[o+2], f[o+3], f[o+4], f[o+5] = load/nl, loadStrong/nl, cover/nl, coverColour/nl, odd/nl, oddColour/nl
	o += nShares

	// Strips, top to bottom.
	for _, s := range strips {
		if s[nPixStat] > 0 {
			c := s[nPixStat]
			f[o], f[o+1], f[o+2], f[o+3], f[o+4], f[o+5] = s[sFine]/c, s[sMid]/c, s[sPeakFine]/c, s[sBrown]/c, s[sBright]/c, s[sSat]/c
		}
		o += 6
	}
	// A frame that is too dark or blown out shows the regions badly whatever its edges say.
	if p50 < 25 || p50 > 235 {
		sharp *= 0.3
	}
	return f, sharp
}

// mesh is how periodic the finest detail (g - b1) is along one direction (step 1: across,
// step w: down): the highest normalised autocorrelation at lags of 3 to 10 pixels. A net's
// regular mesh has a strong one; clods and gravel do not.
func mesh(g, b1 []float64, p patch, step int) float64 {
	n := p.w * p.h
	var v0 float64
	k0 := 0
	for i := 0; i < n; i++ {
		if p.in[i] {
			d := g[i] - b1[i]
			v0 += d * d
			k0++
		}
	}
	if k0 == 0 || v0 < 1e-9 {
		return 0
	}
	v0 /= float64(k0)
	best := 0.0
	for lag := 3; lag <= 10; lag++ {
		off := lag * step
		var s float64
		k := 0
		for i := 0; i+off < n; i++ {
			if step == 1 && i%p.w+lag >= p.w {
				continue
			}
			if p.in[i] && p.in[i+off] {
				s += (g[i] - b1[i]) * (g[i+off] - b1[i+off])
				k++
			}
		}
		if k > 0 {
			best = math.Max(best, s/float64(k)/v0)
		}
	}
	return best
}

// coherence of a structure tensor: 1 for gradients all one way (a fold, a rope), 0 for
// gradients every way (clods).
func coherence(xx, yy, xy float64) float64 {
	e := xx + yy
	if e < 1e-9 {
		return 0
	}
	return math.Sqrt((xx-yy)*(xx-yy)+4*xy*xy) / e
}

// hueChroma is a BGR colour's hue in degrees (0 red, 120 green, 240 blue) and its chroma
// relative to its brightness.
func hueChroma(b, g, r float64) (hue, chroma float64) {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	c := mx - mn
	chroma = c / (mx + 16)
	if c < 1e-9 {
		return 0, chroma
	}
	switch mx {
	case r:
		hue = 60 * math.Mod((g-b)/c+6, 6)
	case g:
		hue = 60 * ((b-r)/c + 2)
	default:
		hue = 60 * ((r-g)/c + 4)
	}
	return hue, chroma
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
