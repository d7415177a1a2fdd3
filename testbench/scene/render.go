//go:build !nocv

package scene

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"

	"gocv.io/x/gocv"
)

// Frame draws spec at w×h and puts it through the spec's JPEG compression, as a camera would
// deliver it. The caller closes the returned BGR Mat.
func Frame(spec Spec, w, h int) (gocv.Mat, error) {
	m, err := Render(spec, w, h)
	if err != nil || spec.JPEGQuality <= 0 {
		return m, err
	}
	defer m.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, spec.JPEGQuality})
	if err != nil {
		return gocv.NewMat(), fmt.Errorf("scene: jpeg: %w", err)
	}
	defer buf.Close()
	out, err := gocv.IMDecode(buf.GetBytes(), gocv.IMReadColor)
	if err != nil || out.Empty() {
		out.Close()
		return gocv.NewMat(), fmt.Errorf("scene: jpeg does not decode: %v", err)
	}
	return out, nil
}

// Render draws spec at w×h, before any compression. The caller closes the returned BGR Mat.
//
// The truck, its mud and what stands around it are drawn on the reference gate's picture (with
// margins wide enough for the gate's view), which the gate's camera geometry then maps into
// the w×h picture; light, weather, lens dirt, noise and motion blur are the camera's, and are
// applied to that picture.
func Render(spec Spec, w, h int) (gocv.Mat, error) {
	if w < 64 || h < 36 || w > 8192 || h > 8192 {
		return gocv.NewMat(), fmt.Errorf("scene: size %dx%d out of range", w, h)
	}
	if _, ok := Paints[spec.Cab]; !ok {
		return gocv.NewMat(), fmt.Errorf("scene: unknown paint %q", spec.Cab)
	}
	if _, ok := Paints[spec.Body]; !ok {
		return gocv.NewMat(), fmt.Errorf("scene: unknown paint %q", spec.Body)
	}
	if !slices.Contains(Conditions, spec.Condition) {
		return gocv.NewMat(), fmt.Errorf("scene: unknown condition %q", spec.Condition)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	hz := rand.New(rand.NewPCG(spec.Seed^0x4a2a5d, spec.Seed+0x1f3))
	world := &renderer{w: float64(w), h: float64(h), x1: 1, y1: 1, rng: rng, hz: hz, spec: spec}
	ref := spec.Gate.IsReference()
	var v view
	cw, ch := w, h
	if !ref {
		v = spec.Gate.view(w, h)
		world.frameFor(v, w, h)
		cw, ch = int(math.Ceil((world.x1-world.x0)*world.w)), int(math.Ceil((world.y1-world.y0)*world.h))
	}
	m := gocv.NewMatWithSize(ch, cw, gocv.MatTypeCV8UC3)
	world.m = &m
	world.background()
	if spec.Hazards.RoadMud {
		world.roadMud()
	}
	t := world.truck(spec.OffsetX, true)
	if err := world.hazards(t); err != nil {
		m.Close()
		return gocv.NewMat(), err
	}
	if spec.Condition == Rain {
		if err := world.reflection(); err != nil {
			m.Close()
			return gocv.NewMat(), err
		}
	}
	if !ref {
		out, err := warp(m, v, world, w, h)
		m.Close()
		if err != nil {
			return gocv.NewMat(), err
		}
		m = out
	}
	r := &renderer{m: &m, w: float64(w), h: float64(h), x1: 1, y1: 1, rng: rng, hz: hz, spec: spec}
	if err := r.condition(); err != nil {
		m.Close()
		return gocv.NewMat(), err
	}
	if spec.Hazards.LensSpots > 0 {
		if err := r.lensSpots(spec.Hazards.LensSpots); err != nil {
			m.Close()
			return gocv.NewMat(), err
		}
	}
	r.noise(2 + r.rng.Float64()*3)
	if spec.Blur > 0 {
		r.motionBlur(spec.Blur * r.w / 640)
	}
	return m, nil
}

// renderer draws in coordinates relative to the reference picture: x and y in 0..1 span it,
// and the canvas may reach beyond it (x0..x1, y0..y1) for a gate that sees more.
type renderer struct {
	m      *gocv.Mat
	w, h   float64 // pixels per unit of x and y
	x0, y0 float64 // the canvas's top-left corner, in relative coordinates
	x1, y1 float64 // its bottom-right
	rng    *rand.Rand
	hz     *rand.Rand // the hazards' own stream, so the reference pictures stay as they were
	spec   Spec
	// tk scales what is drawn about (tax, tay) while the truck is drawn (0: not at all).
	tk, tax, tay float64
}

// frameFor sizes the canvas to hold everything the gate's w×h picture shows.
func (r *renderer) frameFor(v view, w, h int) {
	minX, minY, maxX, maxY := 0.0, 0.0, 1.0, 1.0
	for i := 0; i <= 16; i++ {
		for j := 0; j <= 16; j++ {
			x, y := v.back(float64(i)/16*float64(w-1), float64(j)/16*float64(h-1))
			x, y = x/float64(w-1), y/float64(h-1)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	r.x0, r.x1 = math.Max(-0.9, minX)-0.02, math.Min(1.9, maxX)+0.02
	r.y0, r.y1 = math.Max(-0.9, minY)-0.02, math.Min(1.9, maxY)+0.02
	// A little finer than the picture, so the warp averages rather than invents detail, and no
	// larger than 4096 pixels a side.
	s := math.Min(1.8, math.Max(0.8, magnification(v)*1.2))
	s = math.Min(s, 4096/((r.x1-r.x0)*float64(w)))
	s = math.Min(s, 4096/((r.y1-r.y0)*float64(h)))
	r.w, r.h = float64(w)*s, float64(h)*s
}

// magnification is how many picture pixels a reference pixel becomes, near the picture's
// centre.
func magnification(v view) float64 {
	ax, ay := v.back(v.cx, v.cy)
	bx, by := v.back(v.cx+10, v.cy)
	return 10 / math.Max(1e-6, math.Hypot(bx-ax, by-ay))
}

// warp maps the canvas through the gate's view into a w×h picture.
func warp(canvas gocv.Mat, v view, r *renderer, w, h int) (gocv.Mat, error) {
	mx := gocv.NewMatWithSize(h, w, gocv.MatTypeCV32F)
	defer mx.Close()
	my := gocv.NewMatWithSize(h, w, gocv.MatTypeCV32F)
	defer my.Close()
	px, err := mx.DataPtrFloat32()
	if err != nil {
		return gocv.NewMat(), err
	}
	py, err := my.DataPtrFloat32()
	if err != nil {
		return gocv.NewMat(), err
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, t := v.back(float64(x), float64(y))
			u, t = u/float64(w-1), t/float64(h-1)
			px[y*w+x] = float32((u - r.x0) * r.w)
			py[y*w+x] = float32((t - r.y0) * r.h)
		}
	}
	out := gocv.NewMat()
	gocv.Remap(canvas, &out, &mx, &my, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	if out.Empty() || out.Cols() != w || out.Rows() != h {
		out.Close()
		return gocv.NewMat(), fmt.Errorf("scene: the gate's view did not map")
	}
	return out, nil
}

func rgb(c [3]uint8) color.RGBA { return color.RGBA{R: c[0], G: c[1], B: c[2], A: 255} }

func shade(c [3]uint8, f float64) color.RGBA {
	cl := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }
	return color.RGBA{R: cl(float64(c[0]) * f), G: cl(float64(c[1]) * f), B: cl(float64(c[2]) * f), A: 255}
}

// tx and ty apply the truck's scale to a point.
func (r *renderer) tx(x float64) float64 {
	if r.tk == 0 {
		return x
	}
	return r.tax + (x-r.tax)*r.tk
}

func (r *renderer) ty(y float64) float64 {
	if r.tk == 0 {
		return y
	}
	return r.tay + (y-r.tay)*r.tk
}

func (r *renderer) pt(x, y float64) image.Point {
	return image.Pt(int((r.tx(x)-r.x0)*r.w+0.5), int((r.ty(y)-r.y0)*r.h+0.5))
}

// xpx and ypx are the pixel column and row of x and y, truncated.
func (r *renderer) xpx(x float64) int { return int((r.tx(x) - r.x0) * r.w) }
func (r *renderer) ypx(y float64) int { return int((r.ty(y) - r.y0) * r.h) }

// unx is the x of pixel column c, before the truck's scale.
func (r *renderer) unx(c int) float64 {
	x := float64(c)/r.w + r.x0
	if r.tk == 0 {
		return x
	}
	return r.tax + (x-r.tax)/r.tk
}

// scale is the truck's scale while it is drawn, else 1.
func (r *renderer) scale() float64 {
	if r.tk == 0 {
		return 1
	}
	return r.tk
}

// px turns a length relative to the height into pixels.
func (r *renderer) px(v float64) int { return max(1, int(v*r.h*r.scale()+0.5)) }

func (r *renderer) rect(x0, y0, x1, y1 float64, c color.RGBA) {
	gocv.Rectangle(r.m, image.Rectangle{Min: r.pt(x0, y0), Max: r.pt(x1, y1)}, c, -1)
}

func (r *renderer) poly(pts [][2]float64, c color.RGBA) {
	ps := make([]image.Point, len(pts))
	for i, p := range pts {
		ps[i] = r.pt(p[0], p[1])
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{ps})
	defer pv.Close()
	gocv.FillPoly(r.m, pv, c)
}

// Gate geometry, relative to the frame.
const (
	groundY    = 0.86  // where the tyres touch the road
	wheelR     = 0.072 // tyre radius, relative to the height
	horizonY   = 0.48  // foot of the wall behind the road
	truckFront = 0.95
)

// background paints the site wall and the road, with stains and cracks.
func (r *renderer) background() {
	wl := 130 + r.rng.IntN(60)
	wall := [3]uint8{uint8(wl + r.rng.IntN(12)), uint8(wl + r.rng.IntN(12)), uint8(wl - 10 + r.rng.IntN(12))}
	r.m.SetTo(gocv.NewScalar(float64(wall[2]), float64(wall[1]), float64(wall[0]), 0))
	start := r.rng.Float64() * 0.1
	for x := start - math.Ceil(-r.x0/0.1)*0.1; x < r.x1; x += 0.1 {
		r.rect(x, r.y0, x+0.004, horizonY, shade(wall, 0.8))
	}
	r.rect(r.x0, 0.05, r.x1, 0.07, shade(wall, 0.7))
	rl := 100 + r.rng.IntN(60)
	road := [3]uint8{uint8(rl + r.rng.IntN(10)), uint8(rl + r.rng.IntN(10)), uint8(rl + r.rng.IntN(10))}
	r.rect(r.x0, horizonY, r.x1, r.y1, rgb(road))
	for i := 0; i < 6+r.rng.IntN(10); i++ { // faint stains: a site road is never spotless
		c := [3]uint8{uint8(95 + r.rng.IntN(30)), uint8(88 + r.rng.IntN(25)), uint8(75 + r.rng.IntN(25))}
		ctr := r.pt(r.x0+r.rng.Float64()*(r.x1-r.x0), horizonY+r.rng.Float64()*(r.y1-horizonY))
		gocv.Ellipse(r.m, ctr, image.Pt(r.px(0.02+r.rng.Float64()*0.06)*2, r.px(0.01+r.rng.Float64()*0.02)), 0, 0, 360, blend(rgb(road), rgb(c), 0.35), -1)
	}
	for i := 0; i < 4; i++ {
		x, y := r.x0+r.rng.Float64()*(r.x1-r.x0), horizonY+r.rng.Float64()*(r.y1-horizonY)
		r.line(x, y, x+0.05+r.rng.Float64()*0.1, y+(r.rng.Float64()-0.5)*0.04, shade(road, 0.7), 0.003)
	}
	r.rect(r.x0, horizonY, r.x1, horizonY+0.01, shade(road, 0.6))
}

func blend(a, b color.RGBA, t float64) color.RGBA {
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

func (r *renderer) line(x0, y0, x1, y1 float64, c color.RGBA, thick float64) {
	gocv.Line(r.m, r.pt(x0, y0), r.pt(x1, y1), c, r.px(thick))
}

// layout is where a shape puts its cab and wheels: lengths as fractions of the width, wheel
// positions as fractions of the truck's length from the rear.
var layout = map[Shape]struct {
	length, cab float64
	wheels      []float64
}{
	Tipper2: {0.58, 0.24, []float64{0.17, 0.84}},
	Tipper3: {0.72, 0.20, []float64{0.11, 0.25, 0.85}},
	Tipper4: {0.84, 0.17, []float64{0.08, 0.20, 0.66, 0.87}},
	Mixer:   {0.74, 0.20, []float64{0.10, 0.24, 0.85}},
	Flatbed: {0.80, 0.18, []float64{0.08, 0.19, 0.31, 0.87}},
	Tanker:  {0.76, 0.20, []float64{0.09, 0.22, 0.86}},
	Box:     {0.66, 0.24, []float64{0.15, 0.85}},
}

// truckAt is where the truck was drawn, for what stands around it.
type truckAt struct {
	rear, front, axleY, wr float64 // relative coordinates, after the truck's scale
	wheels                 [][2]float64
}

// truck draws the truck with its front at truckFront+offset, and its mud.
func (r *renderer) truck(offset float64, withMud bool) truckAt {
	lay, ok := layout[r.spec.Shape]
	if !ok {
		lay = layout[Tipper3]
	}
	ar := r.h / r.w // converts a length relative to the height into one relative to the width
	front := truckFront + offset
	if k := r.spec.Hazards.Scale; k > 0 && k != 1 {
		r.tk, r.tax, r.tay = k, front, groundY
		defer func() { r.tk = 0 }()
	}
	rear := front - lay.length
	cabL := lay.length * lay.cab
	cab, body := Paints[r.spec.Cab], Paints[r.spec.Body]
	wr := wheelR
	axleY := groundY - wr
	chassisTop, chassisBot := axleY-0.45*wr, axleY-0.05*wr

	// Chassis rail and fuel tank.
	r.rect(rear, chassisTop, front-0.01, chassisBot, color.RGBA{R: 38, G: 38, B: 40, A: 255})
	r.rect(front-cabL-0.08, chassisBot-0.01, front-cabL-0.02, axleY+0.2*wr, color.RGBA{R: 150, G: 150, B: 155, A: 255})

	bodyBot := chassisTop
	switch r.spec.Shape {
	case Mixer:
		r.rect(rear+0.01, bodyBot-0.06, front-cabL-0.01, bodyBot, shade(body, 0.6))
		ctr := r.pt((rear+front-cabL)/2, 0.43)
		gocv.Ellipse(r.m, ctr, image.Pt(int((front-cabL-rear)/2*r.w*r.scale()), r.px(0.15)), -8, 0, 360, rgb(body), -1)
		for k := 0; k < 5; k++ {
			x := rear + (front-cabL-rear)*(0.2+0.15*float64(k))
			r.line(x, 0.32, x+0.04, 0.55, shade(body, 0.75), 0.006)
		}
	case Flatbed:
		r.rect(rear, bodyBot-0.035, front-cabL-0.01, bodyBot, rgb(body))
		for x := rear + 0.02; x < front-cabL-0.1; x += 0.12 + r.rng.Float64()*0.05 {
			r.rect(x, bodyBot-0.035-0.08-r.rng.Float64()*0.08, x+0.08, bodyBot-0.035, color.RGBA{R: 140, G: 140, B: 138, A: 255})
		}
	case Tanker:
		top := 0.33
		r.rect(rear+0.02, top, front-cabL-0.03, bodyBot-0.01, rgb(body))
		for _, x := range []float64{rear + 0.02, front - cabL - 0.03} {
			gocv.Ellipse(r.m, r.pt(x, (top+bodyBot-0.01)/2), image.Pt(r.px(0.035), r.px((bodyBot-0.01-top)/2)), 0, 0, 360, rgb(body), -1)
		}
		r.rect(rear+0.02, top+0.02, front-cabL-0.03, top+0.045, shade(body, 1.25))
		r.rect(rear+0.02, bodyBot-0.035, front-cabL-0.03, bodyBot-0.01, shade(body, 0.7))
		r.rect(rear+0.01, bodyBot-0.01, front-cabL-0.01, bodyBot, color.RGBA{R: 50, G: 50, B: 52, A: 255})
	case Box:
		top := 0.2
		r.rect(rear, top, front-cabL-0.01, bodyBot, rgb(body))
		for x := rear + 0.08; x < front-cabL-0.05; x += 0.09 {
			r.rect(x, top, x+0.003, bodyBot, shade(body, 0.85))
		}
		logo := Paints[allPaints[int(r.spec.Seed>>8)%len(allPaints)]]
		r.rect(rear+0.05, top+0.06, rear+0.05+(front-cabL-rear)*0.5, top+0.14, rgb(logo))
		r.rect(rear, bodyBot-0.015, front-cabL-0.01, bodyBot, shade(body, 0.6))
	default: // tippers: a ribbed box
		top := 0.30
		r.rect(rear, top, front-cabL-0.01, bodyBot, rgb(body))
		for x := rear + 0.03; x < front-cabL-0.03; x += 0.05 {
			r.rect(x, top, x+0.006, bodyBot, shade(body, 0.78))
		}
		r.rect(rear, top, front-cabL-0.01, top+0.015, shade(body, 1.15))
		r.rect(rear, bodyBot-0.02, front-cabL-0.01, bodyBot, shade(body, 0.7))
	}
	// Cab with window, door line and bumper.
	cabTop := 0.36
	r.poly([][2]float64{{front - cabL, cabTop + 0.03}, {front - 0.015, cabTop}, {front, cabTop + 0.08}, {front, axleY - 0.1*wr}, {front - cabL, axleY - 0.1*wr}}, rgb(cab))
	r.poly([][2]float64{{front - cabL*0.55, cabTop + 0.03}, {front - 0.02, cabTop + 0.015}, {front - 0.008, cabTop + 0.11}, {front - cabL*0.55, cabTop + 0.11}}, color.RGBA{R: 55, G: 70, B: 85, A: 255})
	r.line(front-cabL*0.6, cabTop+0.03, front-cabL*0.6, axleY-0.12*wr, shade(cab, 0.6), 0.003)
	r.rect(front-0.012, axleY-0.9*wr, front+0.004, axleY-0.2*wr, color.RGBA{R: 60, G: 60, B: 62, A: 255})
	r.rect(front-cabL*0.45, axleY-0.75*wr, front-cabL*0.3, axleY-0.68*wr, shade(cab, 0.65)) // step

	var wheels []image.Point
	at := truckAt{rear: r.tx(rear), front: r.tx(front), axleY: r.ty(axleY), wr: wr * r.scale()}
	for _, f := range lay.wheels {
		cx := rear + f*lay.length
		// Mudguard.
		gocv.Ellipse(r.m, r.pt(cx, axleY), image.Pt(r.px(wr*1.18), r.px(wr*1.18)), 0, 180, 360, color.RGBA{R: 30, G: 30, B: 32, A: 255}, r.px(0.012))
		r.wheel(cx, axleY, wr)
		wheels = append(wheels, r.pt(cx, axleY))
		at.wheels = append(at.wheels, [2]float64{r.tx(cx), r.ty(axleY)})
	}
	if withMud {
		r.mud(rear, front, axleY, wr, wheels, ar)
	}
	return at
}

var rims = [][3]uint8{{175, 178, 182}, {200, 200, 195}, {150, 40, 35}, {90, 92, 95}, {220, 220, 225}}

func (r *renderer) wheel(cx, cy, wr float64) {
	ctr := r.pt(cx, cy)
	rad := r.px(wr)
	gocv.Circle(r.m, ctr, rad, color.RGBA{R: 24, G: 24, B: 26, A: 255}, -1)
	gocv.Circle(r.m, ctr, r.px(wr*0.86), color.RGBA{R: 36, G: 36, B: 38, A: 255}, max(1, r.px(wr*0.05)))
	for k := 0; k < 24; k++ { // tread blocks on the rim of the tyre
		a := float64(k) / 24 * 2 * math.Pi
		p := image.Pt(ctr.X+int(math.Cos(a)*float64(rad)*0.93), ctr.Y+int(math.Sin(a)*float64(rad)*0.93))
		gocv.Circle(r.m, p, max(1, rad/14), color.RGBA{R: 44, G: 44, B: 46, A: 255}, -1)
	}
	rim := rims[int(r.spec.Seed%uint64(len(rims)))]
	gocv.Circle(r.m, ctr, r.px(wr*0.56), rgb(rim), -1)
	gocv.Circle(r.m, ctr, r.px(wr*0.40), shade(rim, 0.75), max(1, r.px(wr*0.04)))
	gocv.Circle(r.m, ctr, r.px(wr*0.18), color.RGBA{R: 50, G: 50, B: 52, A: 255}, -1)
	for k := 0; k < 8; k++ {
		a := float64(k) / 8 * 2 * math.Pi
		p := image.Pt(ctr.X+int(math.Cos(a)*float64(rad)*0.29), ctr.Y+int(math.Sin(a)*float64(rad)*0.29))
		gocv.Circle(r.m, p, max(1, rad/20), color.RGBA{R: 70, G: 70, B: 72, A: 255}, -1)
	}
}

// soils are mud colours, from dark wet loam to pale dry clay (RGB).
var soils = [][3]uint8{{75, 55, 38}, {112, 84, 56}, {140, 100, 62}, {110, 98, 82}, {165, 140, 105}, {95, 70, 48}}

func (r *renderer) mudColour(base [3]uint8) color.RGBA {
	f := 0.8 + r.rng.Float64()*0.4
	c := shade(base, f)
	j := func(v uint8) uint8 { return uint8(math.Max(0, math.Min(255, float64(v)+float64(r.rng.IntN(21)-10)))) }
	return color.RGBA{R: j(c.R), G: j(c.G), B: j(c.B), A: 255}
}

// blob draws one irregular clod: a few overlapping ellipses.
func (r *renderer) blob(p image.Point, rad float64, c color.RGBA) {
	for k := 0; k < 3; k++ {
		q := image.Pt(p.X+int((r.rng.Float64()-0.5)*rad), p.Y+int((r.rng.Float64()-0.5)*rad))
		ax := image.Pt(max(1, int(rad*(0.5+r.rng.Float64()*0.7))), max(1, int(rad*(0.3+r.rng.Float64()*0.5))))
		gocv.Ellipse(r.m, q, ax, r.rng.Float64()*180, 0, 360, c, -1)
	}
}

// mud cakes the wheels and splashes the lower body according to the severity.
func (r *renderer) mud(rear, front, axleY, wr float64, wheels []image.Point, ar float64) {
	sev := r.spec.Severity
	if sev == Clean {
		return
	}
	base := soils[r.rng.IntN(len(soils))]
	rad := wr * r.h * r.scale()
	perWheel, size, reach := 35+r.rng.IntN(20), 0.16, 0.8
	if sev == Heavy {
		perWheel, size, reach = 60+r.rng.IntN(50), 0.2, 1.0
	}
	for _, ctr := range wheels {
		for k := 0; k < perWheel; k++ {
			// Mud collects low on the tyre and around the rim edge.
			a := math.Pi*0.5 + (r.rng.Float64()*2-1)*math.Pi*reach
			d := (0.35 + r.rng.Float64()*0.65) * rad
			p := image.Pt(ctr.X+int(math.Cos(a)*d), ctr.Y+int(math.Sin(a)*d))
			r.blob(p, rad*size*(0.5+r.rng.Float64()), r.mudColour(base))
		}
		for k := 0; k < perWheel/4; k++ { // spray on the mudguard and the chassis above
			p := image.Pt(ctr.X+int((r.rng.Float64()*2-1)*rad*1.2), ctr.Y-int(rad*(1.0+r.rng.Float64()*0.3)))
			r.blob(p, rad*0.06*(0.5+r.rng.Float64()), r.mudColour(base))
		}
	}
	x0, x1 := r.xpx(rear), r.xpx(front)
	if sev == Light {
		for k := 0; k < 3+r.rng.IntN(4); k++ { // a few specks low on the body
			p := image.Pt(x0+r.rng.IntN(max(1, x1-x0)), r.ypx(axleY-wr*(0.5+r.rng.Float64()*0.6)))
			r.blob(p, rad*0.03, r.mudColour(base))
		}
		return
	}
	// Heavy: a splash band along the whole lower body, densest at the bottom.
	bandTop := axleY - wr - (0.07 + r.rng.Float64()*0.08)
	bottom := axleY - 0.1*wr
	n := int(float64(x1-x0) / (r.w * r.scale()) * (500 + float64(r.rng.IntN(400))))
	for k := 0; k < n; k++ {
		t := math.Pow(r.rng.Float64(), 1.8) // near 0: bottom of the band
		y := bottom - t*(bottom-bandTop)
		p := image.Pt(x0+r.rng.IntN(max(1, x1-x0)), r.ypx(y))
		r.blob(p, rad*(0.03+r.rng.Float64()*0.1)*(1-0.6*t), r.mudColour(base))
	}
	for k := 0; k < n/20; k++ { // drips
		x := r.unx(x0 + r.rng.IntN(max(1, x1-x0)))
		y := bandTop + r.rng.Float64()*(bottom-bandTop)
		r.line(x, y, x, y+0.01+r.rng.Float64()*0.03, r.mudColour(base), 0.004)
	}
}
