package coverscene

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Labels (the verdicts of the cover check).
const (
	Covered = "covered"
	Open    = "open"
	Torn    = "torn"
	Heaped  = "heaped"
)

// Labels lists the labels in the order sets draw them.
var Labels = []string{Covered, Open, Torn, Heaped}

// Conditions lists the light and weather a set draws.
var Conditions = []string{"day", "dusk", "night-ir", "rain", "glare"}

// Covers are the cover materials. "empty" is a bed with nothing in it (no cover needed);
// "box" is a closed box body.
var Covers = []string{"tarp-blue", "tarp-green", "tarp-orange", "tarp-grey", "tarp-brown", "net-green", "lid", "box", "empty"}

// Loads are the load materials.
var Loads = []string{"soil", "gravel", "concrete", "sand"}

// Trucks are the truck kinds: a tipper (open dump body), a sealed tipper (a hard lid of two
// panels that fold up along the sides), a dropside (long bed, low side boards) and a box truck
// (a closed box body).
var Trucks = []string{"tipper", "sealed", "dropside", "box"}

// Torn kinds: how a torn cover fails.
const (
	TornHalf = "half" // pulled over part of the bed's length, rolled up at its edge
	TornTear = "tear" // over the whole bed with holes torn in it
	TornFlap = "flap" // pulled off one side, its free edge lifted
	TornLid  = "lid"  // a sealed tipper's lid with one panel up
)

// Spec says what one picture shows; Render draws it with the details its seed decides.
type Spec struct {
	Label     string // Covered, Open, Torn or Heaped
	Condition string // one of Conditions
	Cover     string // one of Covers for covered, torn and covered heaped loads; "" when open
	Load      string // one of Loads; "" for an empty bed or a box body
	Truck     string // one of Trucks
	// Fill is the load's level over the bed floor as a share of the side boards' height
	// (open, torn and covered loads), and Heap how far (m) the heap's top stands above the
	// side boards (heaped only).
	Fill, Heap float64
	// Torn is how a torn cover fails (one of the Torn kinds), and Exposed about what share
	// of the bed's top shows the load.
	Torn    string
	Exposed float64
	// LidOpen: the sealed tipper's lid panels stand up (an open load, or an empty bed).
	LidOpen bool
	// Wet: the cover shines with rain or wash water.
	Wet bool
	// Person: a worker stands on the bed's edge.
	Person bool
	// Blur is the motion blur along the lane (pixels at 640 wide), Noise the sensor noise's
	// standard deviation (0..1 scale) and Quality the JPEG quality.
	Blur, Noise float64
	Quality     int
}

// Label is what a picture shows, as labels.csv has it, with the details that explain hard
// cases.
type Label struct {
	Label, Condition, View, Gate, Cover, Load, Truck string
	Torn                                             string
	Quality                                          int
	// Hard names the hard negatives and nuisances in the picture (soil-colour tarp, green
	// tarp, wet tarp, empty bed, open lid, person, gantry bar, lens dirt).
	Hard []string
}

// String is a short description.
func (s Spec) String() string {
	return fmt.Sprintf("%s %s %s cover=%s load=%s %s", s.Label, s.Condition, s.Truck, s.Cover, s.Load, s.Torn)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// weighted picks a name by weights.
func weighted(rng *rand.Rand, names []string, w []float64) string {
	t := 0.0
	for _, x := range w {
		t += x
	}
	r := rng.Float64() * t
	for i, x := range w {
		if r < x {
			return names[i]
		}
		r -= x
	}
	return names[len(names)-1]
}

// RandomSpec draws a spec of the label from rng (math/rand/v2), with a random condition
// (WriteSet sets the condition per cell). An unknown label is drawn as Covered.
func RandomSpec(rng *rand.Rand, label string) Spec {
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	s := Spec{Label: label, Condition: pick(rng, Conditions), Load: pick(rng, Loads)}
	tarps := []string{"tarp-blue", "tarp-green", "tarp-orange", "tarp-grey", "tarp-brown", "net-green"}
	tarpW := []float64{3, 2.5, 1.5, 1.5, 1.5, 3}
	truck := func() string { return weighted(rng, []string{"tipper", "dropside"}, []float64{4, 1}) }
	switch label {
	case Open:
		s.Truck, s.Fill = truck(), u(0.45, 0.93)
		if rng.IntN(8) == 0 {
			s.Truck, s.LidOpen = "sealed", true
		}
	case Torn:
		s.Truck, s.Fill = truck(), u(0.6, 0.95)
		s.Cover = weighted(rng, tarps, tarpW)
		s.Torn = weighted(rng, []string{TornHalf, TornTear, TornFlap, TornLid}, []float64{3, 3, 2, 1})
		if s.Torn == TornLid {
			s.Truck, s.Cover = "sealed", "lid"
		}
		switch s.Torn {
		case TornHalf:
			s.Exposed = u(0.3, 0.7)
		case TornTear:
			s.Exposed = u(0.12, 0.3)
		case TornFlap:
			s.Exposed = u(0.25, 0.5)
		case TornLid:
			s.Exposed = 0.5
		}
	case Heaped:
		s.Truck, s.Fill = truck(), u(0.85, 1)
		s.Heap = u(0.35, 0.85)
		if rng.IntN(2) == 0 {
			s.Cover = weighted(rng, tarps, tarpW)
		}
	default:
		s.Label = Covered
		s.Cover = weighted(rng, Covers, []float64{3, 2.5, 1.5, 1.5, 1.5, 3, 2, 1.2, 1.2})
		s.Fill = u(0.55, 0.97)
		switch s.Cover {
		case "lid":
			s.Truck = "sealed"
		case "box":
			s.Truck, s.Load = "box", ""
		case "empty":
			s.Truck, s.Load = weighted(rng, []string{"tipper", "sealed", "dropside"}, []float64{3, 2, 1}), ""
			s.LidOpen = s.Truck == "sealed"
		default:
			s.Truck = truck()
		}
	}
	if strings.HasPrefix(s.Cover, "tarp") && rng.IntN(4) == 0 {
		s.Wet = true
	}
	s.Person = rng.IntN(12) == 0
	s.Blur = 0
	if rng.IntN(2) == 0 {
		s.Blur = u(0.5, 7)
	}
	s.Noise = u(0.004, 0.02)
	s.Quality = 55 + rng.IntN(41)
	return s
}

// dims are a truck's sizes (m) in its own coordinates: the bed from -L/2 to L/2 along x (the
// cab beyond +L/2), ±W/2 across, its floor at Floor, its side boards Side high.
type dims struct {
	L, W, Floor, Side float64
	CabL, CabH, Gap   float64
	BoxH              float64 // the box body's roof (box trucks)
}

func (d dims) top() float64 { return d.Floor + d.Side }

// nominalDims is the truck a technician draws the regions for: a 6.4 m tipper bed.
func nominalDims(g Gate) dims {
	s := g.Scale
	if s <= 0 {
		s = 1
	}
	return dims{L: 6.4 * s, W: 2.4 * s, Floor: 1.45 * s, Side: 1.2 * s, CabL: 2.3 * s, CabH: 3.2 * s, Gap: 0.35 * s, BoxH: 3.6 * s}
}

// truckDims draws a truck of the kind near the gate's nominal size.
func truckDims(g Gate, kind string, rng *rand.Rand) dims {
	d := nominalDims(g)
	u := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	d.L *= u(0.93, 1.07)
	d.W *= u(0.96, 1.03)
	d.Floor *= u(0.95, 1.05)
	d.Side *= u(0.85, 1.1)
	d.CabH *= u(0.95, 1.06)
	switch kind {
	case "dropside":
		d.Side *= u(0.45, 0.6)
		d.Floor *= 0.9
	case "box":
		d.Side = d.BoxH*u(0.96, 1.05) - d.Floor
	case "sealed":
		d.Side *= u(0.85, 0.95)
	}
	return d
}

func specFor(seed int64, label string) Spec {
	return RandomSpec(rand.New(rand.NewPCG(uint64(seed), 0x5bec)), label)
}
