package yardsim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Gate is one exit gate's fixed geometry: where its camera stands and looks, what lens it has,
// where trucks stop, and the ground and wall behind.
type Gate struct {
	Index      int
	Height     float64 // camera height above the road, m
	Distance   float64 // from the camera to the near side of a standing truck, m
	Yaw        float64 // radians; negative turns towards the truck's rear
	Pitch      float64 // radians; positive looks down
	Roll       float64
	FOV        float64 // horizontal field of view, radians
	K1         float64 // barrel distortion
	StopFront  float64 // mean x of a standing truck's front face (camera at x=0)
	StopJitter float64 // how far from StopFront trucks stop, m
	gr         ground
	wl         wall
	seed       uint64
}

// Config says what to generate.
type Config struct {
	Gates, PerGate int
	Seed           uint64
	Width, Height  int
}

// Frame is one generated frame's label.
type Frame struct {
	File      string
	Muddy     bool
	Condition string
}

// ROI is a region in frame-relative coordinates, as a technician would draw it.
type ROI struct {
	Name    string
	Polygon [][2]float64
}

// Validate checks a Config.
func (c Config) Validate() error {
	var errs []error
	if c.Gates < 1 || c.Gates > 999 {
		errs = append(errs, fmt.Errorf("gates: %d, want 1..999", c.Gates))
	}
	if c.PerGate < 2 || c.PerGate > 9999 {
		errs = append(errs, fmt.Errorf("per-gate: %d, want 2..9999", c.PerGate))
	}
	if c.Width < 64 || c.Height < 48 || c.Width > 4096 || c.Height > 4096 {
		errs = append(errs, fmt.Errorf("size: %dx%d, want 64x48..4096x4096", c.Width, c.Height))
	}
	return errors.Join(errs...)
}

func rngFor(seed uint64, a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x5A17E5EED, a*0x100000001B3+b*0x9E3779B97F4A7C15+1))
}

// NewGate draws gate i of a run seeded with seed.
func NewGate(seed uint64, i int) Gate {
	r := rngFor(seed, uint64(i)+1, 0)
	g := Gate{Index: i, seed: r.Uint64()}
	// a technician mounts the camera so that both bands are in view: redraw until they are
	for try := 0; try < 100; try++ {
		g.Height = uni(r, 0.4, 4)
		g.Distance = uni(r, 2.5, 8)
		g.FOV = uni(r, 45, 95) * math.Pi / 180
		g.K1 = uni(r, 0, 0.3) * g.FOV / (95 * math.Pi / 180)
		g.Yaw = uni(r, -32, 8) * math.Pi / 180
		aimZ := uni(r, 0.5, 1.3)
		// look down at a point of the truck's lower side
		g.Pitch = math.Atan2(g.Height-aimZ, g.Distance/math.Cos(g.Yaw)) + uni(r, -4, 4)*math.Pi/180
		g.Roll = uni(r, -4, 4) * math.Pi / 180
		aimX := g.Distance * math.Tan(g.Yaw)
		g.StopFront = aimX + uni(r, 0.3, 4.5)
		g.StopJitter = uni(r, 0.2, 1.2)
		if g.bandsInView(640, 360) {
			break
		}
	}
	g.gr.kind = r.IntN(3)
	switch g.gr.kind {
	case 0:
		g.gr.col = hsv(uni(r, 0, 360), uni(r, 0, 0.06), uni(r, 0.22, 0.4))
	case 1:
		g.gr.col = hsv(uni(r, 30, 50), uni(r, 0.02, 0.1), uni(r, 0.5, 0.68))
	default:
		g.gr.col = hsv(uni(r, 25, 45), uni(r, 0.1, 0.3), uni(r, 0.35, 0.55))
	}
	g.wl = wall{dist: g.Distance + uni(r, 5, 25), height: uni(r, 2, 8), kind: r.IntN(3), panel: uni(r, 1, 3)}
	g.wl.col = hsv(uni(r, 0, 360), uni(r, 0, 0.6), uni(r, 0.3, 0.85))
	return g
}

func (g Gate) camera(w, h int) camera {
	f := float64(w) / 2 / math.Tan(g.FOV/2)
	return newCamera(vec{0, 0, g.Height}, g.Yaw, g.Pitch, g.Roll, f, g.K1, w, h)
}

// ROIs are the wheel band and the lower-body band over where standing trucks' wheels and lower
// sides are at this gate, clipped to the frame.
func (g Gate) ROIs(w, h int) []ROI {
	cam := g.camera(w, h)
	band := func(name string, z0, z1 float64) ROI {
		// the stretch of road where the band's middle line is in view
		zm := (z0 + z1) / 2
		lo, hi := math.Inf(1), math.Inf(-1)
		for x := g.StopFront - 16; x <= g.StopFront+0.3; x += 0.05 {
			px, py, ok := cam.project(vec{x, g.Distance, zm})
			if ok && px >= 0 && px <= float64(w) && py >= 0 && py <= float64(h) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
		if math.IsInf(lo, 1) {
			return ROI{Name: name, Polygon: [][2]float64{{0.02, 0.5}, {0.98, 0.5}, {0.98, 0.9}, {0.02, 0.9}}}
		}
		var poly [][2]float64
		for _, p := range []vec{{lo, g.Distance, z1}, {hi, g.Distance, z1}, {hi, g.Distance, z0}, {lo, g.Distance, z0}} {
			px, py, _ := cam.project(p)
			poly = append(poly, [2]float64{round3(clamp01(px / float64(w))), round3(clamp01(py / float64(h)))})
		}
		return ROI{Name: name, Polygon: poly}
	}
	return []ROI{band("wheels", -0.05, 1.15), band("lower-body", 1.05, 2.1)}
}

// bandsInView reports whether the middle lines of both bands cross at least 40% of the frame.
func (g Gate) bandsInView(w, h int) bool {
	cam := g.camera(w, h)
	for _, z := range []float64{0.55, 1.55} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for x := g.StopFront - 16; x <= g.StopFront+0.3; x += 0.05 {
			px, py, ok := cam.project(vec{x, g.Distance, z})
			if ok && px >= 0 && px <= float64(w) && py >= 0 && py <= float64(h) {
				lo, hi = math.Min(lo, px), math.Max(hi, px)
			}
		}
		if math.IsInf(lo, 1) || hi-lo < 0.4*float64(w) {
			return false
		}
	}
	return true
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// cleanConditions are the hard negatives a clean truck is drawn with.
var cleanConditions = []string{"clean", "wet-clean", "road-mud", "puddles", "shadow", "old-paint", "lens-spots", "dust", "occluded"}

// newScene draws frame j of gate g.
func (g Gate) newScene(j int, muddy bool, w, h int) (*scene, string) {
	r := rngFor(g.seed, uint64(g.Index)+1, uint64(j)+1)
	s := &scene{cam: g.camera(w, h), gr: g.gr, wl: g.wl, seed: r.Uint64()}
	// every nuisance can come with either label, so none of them tells the label
	cond := "clean"
	if !muddy {
		cond = cleanConditions[r.IntN(len(cleanConditions))]
	}
	front := g.StopFront + uni(r, -g.StopJitter, g.StopJitter)
	s.tr = newTruck(r, kinds[r.IntN(len(kinds))], front, g.Distance+uni(r, -0.25, 0.25))
	s.lt = drawLight(r, lights[r.IntN(len(lights))], s.cam.pos)
	nu := &s.nu
	if muddy {
		heavy := chance(r, 0.5)
		s.mud = mudSpec{col: mudColour(r), wet: chance(r, 0.5)}
		if heavy {
			cond = "heavy-mud"
			s.mud.level = uni(r, 0.65, 1)
			s.mud.splash = uni(r, 0.5, 1.3)
			for k := r.IntN(9); k > 0; k-- {
				wl := s.tr.wheels[r.IntN(len(s.tr.wheels))]
				s.mud.clods = append(s.mud.clods, clod{x: wl.x + uni(r, -0.9, 0.6), z: uni(r, 0.03, 0.7), r: uni(r, 0.025, 0.08)})
			}
		} else {
			cond = "light-mud"
			s.mud.level = uni(r, 0.28, 0.5)
			s.mud.splash = uni(r, 0.1, 0.3)
		}
	}
	p := func(c string, base float64) bool { return cond == c || chance(r, base) }
	if p("wet-clean", 0.12) {
		nu.wet = uni(r, 0.5, 1)
	}
	if p("road-mud", 0.2) {
		nu.roadMud = uni(r, 0.4, 0.9)
		nu.roadMudCol = mudColour(r)
	}
	if p("puddles", 0.12) {
		nu.puddles = uni(r, 0.4, 1)
	}
	if p("shadow", 0.15) {
		nu.shadow = 1 + r.IntN(2)
		nu.shadowA = s.tr.wheels[0].x + uni(r, -3, 1)
		nu.shadowB = uni(r, -0.8, 0.8)
		if s.lt.sun.r == 0 { // a shadow needs a sun
			s.lt = drawLight(r, "sun", s.cam.pos)
		}
	}
	if cond == "old-paint" {
		s.tr.grime = uni(r, 0.5, 1)
		s.tr.rust = uni(r, 0.4, 1)
	}
	if p("lens-spots", 0.12) {
		for k := 1 + r.IntN(5); k > 0; k-- {
			c := []rgb{{0.3, 0.24, 0.16}, {0.5, 0.5, 0.5}, {0.85, 0.85, 0.85}}[r.IntN(3)]
			nu.spots = append(nu.spots, lensSpot{x: r.Float64(), y: r.Float64(), r: uni(r, 0.02, 0.09), a: uni(r, 0.3, 0.8), col: c})
		}
	}
	if p("dust", 0.1) {
		nu.dust = uni(r, 0.03, 0.15)
	}
	if p("occluded", 0.1) {
		if chance(r, 0.5) {
			nu.barrier = true
			nu.barrierY = g.Distance * uni(r, 0.3, 0.7)
			nu.barrierZ = uni(r, 0.9, 1.2)
			nu.barrierX0 = g.StopFront + uni(r, -6, -1)
		} else {
			nu.person = true
			nu.personY = g.Distance * uni(r, 0.35, 0.8)
			nu.personX = g.StopFront + uni(r, -5, 1) - g.Distance*0.2
			nu.vest = []rgb{{1, 0.45, 0.05}, {0.8, 0.95, 0.1}}[r.IntN(2)]
		}
	}
	nu.blur = r.IntN(3)
	nu.motion = chance(r, 0.2)
	nu.noise = uni(r, 0.005, 0.03)
	if s.lt.lamp.r > 0 {
		nu.noise *= 2.5
	}
	nu.jpegQ = 40 + r.IntN(52)
	return s, cond
}

// Render draws frame j of the gate and says its condition.
func (g Gate) Render(j int, muddy bool, w, h int) (*image.RGBA, string) {
	img, cond, _ := g.render(j, muddy, w, h)
	return img, cond
}

// render draws frame j and gives the JPEG quality its camera encodes it at.
func (g Gate) render(j int, muddy bool, w, h int) (*image.RGBA, string, int) {
	s, cond := g.newScene(j, muddy, w, h)
	buf := make([]rgb, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			buf[y*w+x] = s.trace(s.cam.ray(float64(x)+0.5, float64(y)+0.5))
		}
	}
	s.post(buf, w, h, rngFor(s.seed, 7, uint64(j)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, c := range buf {
		img.Pix[4*i] = to8(c.r)
		img.Pix[4*i+1] = to8(c.g)
		img.Pix[4*i+2] = to8(c.b)
		img.Pix[4*i+3] = 255
	}
	return img, cond, s.nu.jpegQ
}

func to8(v float64) uint8 {
	v = clamp01(v)
	return uint8(math.Round(v * 255))
}

// post spoils the frame as a gate camera does.
func (s *scene) post(buf []rgb, w, h int, r *rand.Rand) {
	nu := &s.nu
	fw, fh := float64(w), float64(h)
	for _, sp := range nu.spots {
		cx, cy, rad := sp.x*fw, sp.y*fh, sp.r*fw
		for y := max(0, int(cy-rad)); y < min(h, int(cy+rad)+1); y++ {
			for x := max(0, int(cx-rad)); x < min(w, int(cx+rad)+1); x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / rad
				if d < 1 {
					k := sp.a * smooth(1, 0.6, d)
					buf[y*w+x] = mix(buf[y*w+x], sp.col.scale(math.Max(0.2, s.lt.amb.luma()+0.3)), k)
				}
			}
		}
	}
	if s.lt.glare {
		// veiling glare from the low sun towards one side of the frame
		gx, gy := uni(r, 0, fw), uni(r, -0.3*fh, 0.4*fh)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d := math.Hypot(float64(x)-gx, float64(y)-gy) / fw
				buf[y*w+x] = buf[y*w+x].add(rgb{1, 0.95, 0.85}.scale(0.9 * math.Exp(-d*4)))
			}
		}
	}
	if s.lt.rain || s.lt.snow {
		n := w * h / 300
		for k := 0; k < n; k++ {
			x0, y0 := r.IntN(w), r.IntN(h)
			if s.lt.rain {
				l := 4 + r.IntN(10)
				for i := 0; i < l; i++ {
					x, y := x0+i/4, y0+i
					if x < w && y < h {
						buf[y*w+x] = mix(buf[y*w+x], rgb{0.85, 0.87, 0.9}, 0.25)
					}
				}
			} else {
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						if x, y := x0+dx, y0+dy; x < w && y < h {
							buf[y*w+x] = mix(buf[y*w+x], rgb{0.95, 0.95, 0.97}, 0.8)
						}
					}
				}
			}
		}
	}
	if s.lt.mono {
		for i, c := range buf {
			// infrared: rubber and paint look alike, the frame is grey
			v := 0.5*c.r + 0.35*c.g + 0.15*c.b
			buf[i] = rgb{v, v, v}
		}
	}
	// vignetting and exposure: a camera exposes for the middle of the frame
	sum := 0.0
	for y := h / 4; y < 3*h/4; y++ {
		for x := w / 4; x < 3*w/4; x++ {
			sum += buf[y*w+x].luma()
		}
	}
	mean := sum / float64((h/2)*(w/2))
	gain := clamp(0.45/math.Max(mean, 0.02), 0.5, 6) * uni(r, 0.8, 1.2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-fw/2)/fw, (float64(y)-fh/2)/fw
			v := gain * (1 - 0.5*(dx*dx+dy*dy))
			c := buf[y*w+x].scale(v)
			buf[y*w+x] = rgb{tone(c.r), tone(c.g), tone(c.b)}
		}
	}
	if nu.blur > 0 || nu.motion {
		rx, ry := nu.blur, nu.blur
		if nu.motion {
			rx += 2 + r.IntN(4)
		}
		boxBlur(buf, w, h, rx, ry)
	}
	for i := range buf {
		n := r.NormFloat64() * nu.noise
		c := buf[i]
		if s.lt.mono {
			buf[i] = rgb{c.r + n, c.g + n, c.b + n}
		} else {
			buf[i] = rgb{c.r + n + r.NormFloat64()*nu.noise*0.4, c.g + n, c.b + n + r.NormFloat64()*nu.noise*0.4}
		}
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// tone rolls highlights off instead of clipping them hard.
func tone(v float64) float64 {
	if v < 0.8 {
		return math.Max(v, 0)
	}
	return 0.8 + 0.2*(1-math.Exp(-(v-0.8)*5))
}

func boxBlur(buf []rgb, w, h, rx, ry int) {
	tmp := make([]rgb, len(buf))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc rgb
			n := 0
			for k := max(0, x-rx); k <= min(w-1, x+rx); k++ {
				acc = acc.add(buf[y*w+k])
				n++
			}
			tmp[y*w+x] = acc.scale(1 / float64(n))
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var acc rgb
			n := 0
			for k := max(0, y-ry); k <= min(h-1, y+ry); k++ {
				acc = acc.add(tmp[k*w+x])
				n++
			}
			buf[y*w+x] = acc.scale(1 / float64(n))
		}
	}
}

// Labels gives the labels of a gate's frames: exactly half muddy (one more clean when odd), in
// an order drawn from the seed.
func (g Gate) Labels(perGate int) []bool {
	r := rngFor(g.seed, uint64(g.Index)+1, 1<<40)
	out := make([]bool, perGate)
	for i := 0; i < perGate/2; i++ {
		out[i] = true
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Generate writes cfg.Gates gates under dir, each with frames/NNNN.jpg, labels.csv and camera.yaml.
func Generate(dir string, cfg Config) ([]Gate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("yardsim: %w", err)
	}
	var gates []Gate
	for i := 0; i < cfg.Gates; i++ {
		g := NewGate(cfg.Seed, i)
		gates = append(gates, g)
		gd := filepath.Join(dir, fmt.Sprintf("gate-%02d", i))
		if err := os.MkdirAll(filepath.Join(gd, "frames"), 0o755); err != nil {
			return nil, fmt.Errorf("yardsim: %w", err)
		}
		labels := g.Labels(cfg.PerGate)
		conds := make([]string, cfg.PerGate)
		errs := make([]error, cfg.PerGate)
		var wg sync.WaitGroup
		jobs := make(chan int)
		for k := 0; k < runtime.GOMAXPROCS(0); k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					b, cond, err := g.RenderJPEG(j, labels[j], cfg.Width, cfg.Height)
					conds[j] = cond
					if err == nil {
						err = os.WriteFile(filepath.Join(gd, "frames", fmt.Sprintf("%04d.jpg", j)), b, 0o644)
					}
					errs[j] = err
				}
			}()
		}
		for j := 0; j < cfg.PerGate; j++ {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("yardsim: gate %d: %w", i, err)
		}
		var csv strings.Builder
		csv.WriteString("file,label,condition\n")
		for j, m := range labels {
			l := "clean"
			if m {
				l = "muddy"
			}
			fmt.Fprintf(&csv, "frames/%04d.jpg,%s,%s\n", j, l, conds[j])
		}
		if err := os.WriteFile(filepath.Join(gd, "labels.csv"), []byte(csv.String()), 0o644); err != nil {
			return nil, fmt.Errorf("yardsim: %w", err)
		}
		if err := os.WriteFile(filepath.Join(gd, "camera.yaml"), []byte(g.CameraYAML(cfg.Width, cfg.Height)), 0o644); err != nil {
			return nil, fmt.Errorf("yardsim: %w", err)
		}
	}
	return gates, nil
}

// CameraYAML is the gate's camera entry: its id and the regions a technician would draw.
func (g Gate) CameraYAML(w, h int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# yardsim gate %d: camera %.2f m up, %.2f m from the truck, yaw %.1f, pitch %.1f, roll %.1f deg, fov %.0f deg, k1 %.3f\n",
		g.Index, g.Height, g.Distance, g.Yaw*180/math.Pi, g.Pitch*180/math.Pi, g.Roll*180/math.Pi, g.FOV*180/math.Pi, g.K1)
	b.WriteString("id: wheels\nrois:\n")
	for _, roi := range g.ROIs(w, h) {
		fmt.Fprintf(&b, "  - name: %s\n    polygon: [", roi.Name)
		for i, p := range roi.Polygon {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[%.3f, %.3f]", p[0], p[1])
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// RenderJPEG draws frame j of the gate and encodes it as the gate's camera does; it also says
// the frame's condition.
func (g Gate) RenderJPEG(j int, muddy bool, w, h int) ([]byte, string, error) {
	img, cond, q := g.render(j, muddy, w, h)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, "", fmt.Errorf("yardsim: gate %d frame %d: %w", g.Index, j, err)
	}
	return b.Bytes(), cond, nil
}

// RegionMuddy is the ground truth of one region of a frame: the wheel band is muddy in every
// muddy frame. The lower-body band is labelled clean: yardsim's splashes seldom reach it (under
// heavy mud a median 0.4 % of its pixels change, 75th percentile 1.2 %, over 75 frames of 8
// gates), so calling it muddy would teach a scorer noise.
func RegionMuddy(region, condition string) bool {
	return region == "wheels" && (condition == "light-mud" || condition == "heavy-mud")
}
