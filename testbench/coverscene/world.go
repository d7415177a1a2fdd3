package coverscene

import (
	"math"
	"math/rand/v2"
	"strings"
)

// What a heightfield cell holds.
const (
	kNone uint8 = iota
	kChassis
	kCab
	kWall
	kFloor
	kLoad
	kTarp
	kNet
	kLid
	kBox
	kPerson
	kRoll
)

// world is one truck as a heightfield over the road, in the truck's coordinates (x toward its
// cab, z across, the bed's middle at the origin). A heightfield has no overhangs: the truck's
// sides are solid down to the road and drawn with wheels and a dark chassis below the bed.
type world struct {
	d          dims
	truck      string
	x0, z0     float64
	cell       float64
	nx, nz     int
	h          []float32
	k          []uint8
	load       []float32 // the load's top under a net or a cover (for nets to show it)
	hmax       float64
	seed       uint64
	loadKind   string
	cover      string
	coverCol   vec
	bodyCol    vec
	cabCol     vec
	ropeCol    vec
	ropes      []float64 // rope positions along x
	drape      float64   // how far the cover hangs down the side boards (m)
	axles      []float64
	wheelR     float64
	soilCol    vec
	loadCol    vec
	dirt       float64 // dirt on the cover and body (0..1)
	wet        bool
	netMesh    float64 // mesh pitch (m)
	netCover   float64 // share of the surface the net's strands hide
	personVest vec
	lidCol     vec
	boxCol     vec
}

func (w *world) idx(x, z float64) (int, bool) {
	i := int((x - w.x0) / w.cell)
	j := int((z - w.z0) / w.cell)
	if i < 0 || j < 0 || i >= w.nx || j >= w.nz || x < w.x0 || z < w.z0 {
		return 0, false
	}
	return j*w.nx + i, true
}

func (w *world) height(x, z float64) float64 {
	if i, ok := w.idx(x, z); ok {
		return float64(w.h[i])
	}
	return 0
}

var palette = []vec{
	rgb(170, 40, 35), rgb(40, 80, 160), rgb(215, 175, 40), rgb(45, 120, 70), rgb(220, 110, 35),
	rgb(200, 200, 195), rgb(120, 125, 130), rgb(90, 60, 45), rgb(30, 60, 110), rgb(160, 160, 60),
}

func tarpColour(cover string, rng *rand.Rand) vec {
	j := func(c vec) vec {
		f := 0.8 + 0.35*rng.Float64()
		return vec{c.x * f * (0.93 + 0.14*rng.Float64()), c.y * f, c.z * f * (0.93 + 0.14*rng.Float64())}
	}
	switch cover {
	case "tarp-blue":
		return j(pick(rng, []vec{rgb(40, 90, 170), rgb(30, 70, 150), rgb(60, 120, 190)}))
	case "tarp-green":
		return j(pick(rng, []vec{rgb(40, 110, 60), rgb(70, 120, 50), rgb(30, 90, 70)}))
	case "tarp-orange":
		return j(pick(rng, []vec{rgb(210, 110, 40), rgb(190, 90, 45), rgb(200, 130, 60)}))
	case "tarp-grey":
		return j(pick(rng, []vec{rgb(130, 135, 135), rgb(100, 105, 110), rgb(170, 170, 165)}))
	case "tarp-brown":
		return j(pick(rng, []vec{rgb(120, 85, 55), rgb(140, 100, 65), rgb(105, 80, 60)}))
	case "net-green":
		return j(pick(rng, []vec{rgb(30, 110, 50), rgb(40, 130, 60), rgb(25, 90, 45)}))
	}
	return rgb(128, 128, 128)
}

func loadColour(load string, rng *rand.Rand) vec {
	j := func(c vec) vec {
		f := 0.85 + 0.3*rng.Float64()
		return vec{c.x * f * (0.95 + 0.1*rng.Float64()), c.y * f, c.z * f * (0.95 + 0.1*rng.Float64())}
	}
	switch load {
	case "soil":
		return j(pick(rng, []vec{rgb(95, 75, 55), rgb(125, 95, 65), rgb(140, 85, 55), rgb(160, 130, 85), rgb(80, 65, 55)}))
	case "gravel":
		return j(pick(rng, []vec{rgb(150, 145, 135), rgb(125, 120, 115), rgb(165, 150, 125)}))
	case "concrete":
		return j(pick(rng, []vec{rgb(175, 175, 168), rgb(155, 155, 150), rgb(190, 185, 175)}))
	case "sand":
		return j(pick(rng, []vec{rgb(195, 170, 125), rgb(170, 160, 140), rgb(185, 150, 100)}))
	}
	return rgb(120, 110, 100)
}

// buildWorld lays out the truck of spec s.
func buildWorld(g Gate, s Spec, rng *rand.Rand) *world {
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	d := truckDims(g, s.Truck, rng)
	w := &world{d: d, truck: s.Truck, cell: 0.025, seed: rng.Uint64(), loadKind: s.Load, cover: s.Cover, wet: s.Wet}
	w.x0 = -d.L/2 - 0.35
	x1 := d.L/2 + d.Gap + d.CabL + 0.1
	w.z0 = -d.W/2 - 0.08
	w.nx = int((x1-w.x0)/w.cell) + 1
	w.nz = int((d.W+0.16)/w.cell) + 1
	n := w.nx * w.nz
	w.h, w.k, w.load = make([]float32, n), make([]uint8, n), make([]float32, n)
	w.bodyCol = pick(rng, palette).mul(u(0.7, 1.1))
	w.cabCol = w.bodyCol
	if rng.IntN(3) == 0 {
		w.cabCol = pick(rng, palette)
	}
	w.coverCol = tarpColour(s.Cover, rng)
	w.ropeCol = pick(rng, []vec{rgb(210, 190, 70), rgb(220, 220, 215), rgb(40, 40, 40), rgb(220, 110, 40)})
	w.loadCol = loadColour(s.Load, rng)
	w.soilCol = loadColour("soil", rng)
	w.dirt = u(0, 0.6)
	w.drape = u(0.1, 0.5)
	w.netMesh = u(0.012, 0.03)
	w.netCover = u(0.55, 0.8)
	w.personVest = pick(rng, []vec{rgb(235, 120, 30), rgb(200, 225, 40), rgb(230, 80, 40)})
	w.lidCol = pick(rng, []vec{rgb(160, 165, 170), w.bodyCol, rgb(120, 125, 130)})
	w.boxCol = pick(rng, []vec{rgb(220, 220, 215), rgb(190, 195, 200), rgb(60, 90, 150), rgb(210, 205, 190)})
	w.wheelR = 0.53 * g.scale()
	w.axles = []float64{-d.L/2 + d.L*0.18, -d.L/2 + d.L*0.38, d.L/2 + d.Gap + d.CabL*0.5}
	if s.Truck == "dropside" || s.Truck == "box" {
		w.axles = []float64{-d.L/2 + d.L*0.25, d.L/2 + d.Gap + d.CabL*0.5}
	}
	for x := -d.L/2 + u(0.3, 0.7); x < d.L/2-0.2; x += u(0.8, 1.3) {
		w.ropes = append(w.ropes, x)
	}

	const t = 0.06 // side board thickness
	top := d.top()
	fill := d.Floor + s.Fill*d.Side
	ls := uint64(w.seed)
	tilt := u(-0.08, 0.08)
	cx := u(-0.25, 0.25) * d.L
	loadAt := func(x, z float64) float64 {
		if s.Load == "" {
			return d.Floor + 0.02
		}
		y := fill + 0.22*(fbm(ls, x*0.35, z*0.35, 2)-0.5) + tilt*x/d.L*2
		switch s.Load {
		case "soil":
			f1, _, _ := worley(ls+3, x*7, z*7)
			y += 0.07*(fbm(ls+1, x*2, z*2, 3)-0.5) + 0.03*(1-f1)*(1-f1)
		case "gravel":
			f1, _, _ := worley(ls+3, x*30, z*30)
			y += 0.04*(fbm(ls+1, x*1.5, z*1.5, 3)-0.5) + 0.012*(1-f1*f1)
		case "concrete":
			f1, f2, id := worley(ls+3, x*3.2, z*3.2)
			y += 0.05*(fbm(ls+1, x, z, 2)-0.5) + 0.2*unit(id)*sstep(0, 0.12, f2-f1) - 0.04
		case "sand":
			y += 0.03*(fbm(ls+1, x*0.8, z*0.8, 3)-0.5) + 0.004*math.Sin(x*40+z*13)
		}
		if s.Label == Heaped {
			r := math.Hypot((x-cx)/(0.45*d.L), z/(0.62*d.W))
			m := top + s.Heap*math.Pow(math.Max(0, 1-r*r), 0.7)
			lim := top + math.Min(d.W/2-math.Abs(z), d.L/2-math.Abs(x))*0.8
			m = math.Min(m, lim)
			y = math.Max(y, m+(y-fill)*0.6)
		} else {
			y = math.Min(y, top-0.04)
		}
		return math.Max(y, d.Floor+0.03)
	}

	// Torn covers: which part of the bed the cover leaves open.
	xc := d.L/2 - (1-s.Exposed)*d.L // half: cover over x > xc (toward the cab)...
	fromRear := rng.IntN(2) == 0    // ...or over x < -xc
	zc := d.W/2 - s.Exposed*d.W     // flap: cover over z < zc
	flapSide := 1.0
	if rng.IntN(2) == 0 {
		flapSide = -1
	}
	type hole struct{ x, z, r float64 }
	var holes []hole
	if s.Torn == TornTear {
		nh := 1 + rng.IntN(3)
		area := s.Exposed * d.L * d.W
		for i := 0; i < nh; i++ {
			r := math.Sqrt(area / float64(nh) / math.Pi)
			holes = append(holes, hole{u(-0.4, 0.4) * d.L, u(-0.25, 0.25) * d.W, r})
		}
	}
	tornOpen := func(x, z float64) (open bool, edge float64) {
		switch s.Torn {
		case TornHalf:
			e := x - xc
			if fromRear {
				e = -x - xc
			}
			return e < 0, math.Abs(e)
		case TornFlap:
			e := zc - z*flapSide
			return e < 0, math.Abs(e)
		case TornTear:
			best := 9.0
			for _, h := range holes {
				a := math.Atan2(z-h.z, x-h.x)
				r := h.r * (0.7 + 0.6*vnoise(ls+9, a*2.2+h.x*10, h.z))
				dd := math.Hypot(x-h.x, z-h.z) - r
				if dd < 0 {
					return true, -dd
				}
				best = math.Min(best, dd)
			}
			return false, best
		case TornLid:
			return z*flapSide > 0, math.Abs(z)
		}
		return false, 9
	}

	sag := u(0.03, 0.25)
	foldA, foldK, foldPh := u(0.005, 0.04), u(2, 6), u(0, 6.3)
	foldDir := u(0, math.Pi)
	tarpAt := func(x, z, load float64) float64 {
		y := top + 0.03 - sag*math.Sin(math.Pi*clamp((z+d.W/2)/d.W, 0, 1))
		if s.Label == Heaped {
			y = load + 0.05
		}
		y = math.Max(y, load+0.03)
		y += foldA * math.Sin(foldK*(x*math.Cos(foldDir)+z*math.Sin(foldDir))+foldPh)
		y += 0.025 * (fbm(ls+21, x*1.3, z*1.3, 3) - 0.5)
		for _, rx := range w.ropes {
			if dx := math.Abs(x - rx); dx < 0.06 {
				y -= 0.02 * (1 - dx/0.06)
			}
		}
		return y
	}

	person := s.Person
	px, pz := u(-0.35, 0.35)*d.L, d.W/2-0.03
	if rng.IntN(2) == 0 {
		pz = -pz
	}
	cabX := d.L/2 + d.Gap
	for j := 0; j < w.nz; j++ {
		z := w.z0 + (float64(j)+0.5)*w.cell
		for i := 0; i < w.nx; i++ {
			x := w.x0 + (float64(i)+0.5)*w.cell
			c := j*w.nx + i
			var y float64
			k := kNone
			switch {
			case math.Abs(z) > d.W/2:
			case x >= cabX:
				y, k = d.CabH, kCab
				if e := x - (cabX + d.CabL - 0.35); e > 0 {
					y -= e * e * 3
				}
				if math.Abs(z) > d.W/2-0.12 {
					y -= 0.08
				}
			case x > d.L/2:
				y, k = d.Floor-0.15, kChassis
			case x < -d.L/2:
				if x > -d.L/2-0.25 {
					y, k = d.Floor-0.45, kChassis
				}
			case s.Truck == "box":
				y, k = d.top(), kBox
				if math.Abs(z) > d.W/2-0.05 || math.Abs(x) > d.L/2-0.05 {
					y += 0.03
				}
			default:
				wall := math.Abs(z) > d.W/2-t || x < -d.L/2+t || x > d.L/2-t
				l := loadAt(x, z)
				w.load[c] = float32(l)
				if wall {
					y, k = top, kWall
					if x > d.L/2-t {
						y += 0.15 // the headboard stands a little higher
					}
				} else {
					y, k = l, kLoad
					if s.Load == "" {
						k = kFloor
					}
				}
				cov := s.Cover
				if cov == "empty" || cov == "box" {
					cov = ""
				}
				open := false
				edge := 9.0
				if s.Label == Torn {
					open, edge = tornOpen(x, z)
				}
				switch {
				case s.Truck == "sealed" && (s.LidOpen || s.Label == Torn):
					// The lid's panels (both, or the open one) stand up along the sides.
					if math.Abs(z) > d.W/2-0.05 && (s.LidOpen || z*flapSide > 0) && x > -d.L/2+0.1 && x < d.L/2-0.1 {
						y, k = top+0.45*d.W, kLid
						if s.Label == Open {
							y = top + 0.22 // slid open: the panels lie folded along the sides
						}
					} else if !s.LidOpen && !open && !wall {
						y, k = top+0.08+0.04*math.Cos(math.Pi*z/d.W), kLid
					} else if !s.LidOpen && !open && wall {
						y, k = top+0.08, kLid
					}
				case cov == "lid":
					y, k = top+0.08+0.04*math.Cos(math.Pi*z/d.W), kLid
					if wall {
						y = top + 0.08
					}
				case strings.HasPrefix(cov, "tarp") && !open:
					y, k = tarpAt(x, z, l), kTarp
					if wall {
						y = math.Max(y, top+0.04)
					}
					if s.Label == Torn && s.Torn != TornHalf && edge < 0.2 {
						y += (0.2 - edge) * 0.5 // curled and lifted at the tear's edge
					}
					if s.Torn == TornFlap && edge < 0.45 {
						lift := (0.45 - edge) / 0.45
						y += 0.35 * lift * lift * (0.6 + 0.4*math.Sin(x*2.5+foldPh))
					}
					if s.Torn == TornHalf && edge < 0.14 {
						y += 0.16 * math.Sqrt(1-edge*edge/0.0196)
						k = kRoll
					}
				case cov == "net-green" && !open:
					y, k = math.Max(y, l)+0.02, kNet
					if wall {
						y = math.Max(top, l) + 0.02
					}
				}
			}
			if person {
				if r := math.Hypot((x-px)/0.24, (z-pz)/0.16); r < 1 {
					y, k = top+1.62, kPerson
					if r < 0.6 {
						y = top + 1.78
					}
				}
			}
			w.h[c], w.k[c] = float32(y), k
			w.hmax = math.Max(w.hmax, y)
		}
	}
	w.hmax += 0.02
	return w
}

func (g Gate) scale() float64 {
	if g.Scale <= 0 {
		return 1
	}
	return g.Scale
}
