package coversim

import "math/rand"

// Labels of the cover check (the Labels section of the cover contract).
const (
	Covered = "covered"
	Open    = "open"
	Torn    = "torn"
	Heaped  = "heaped"
)

// AllLabels lists the labels in the order a balanced set cycles through them.
var AllLabels = []string{Covered, Open, Torn, Heaped}

// Conditions the generator draws. The first five are the contract's; overcast, night-led (a white
// LED floodlight) and haze (dust in the air) are this generator's additions.
var Conditions = []string{"day", "dusk", "night-ir", "rain", "glare", "overcast", "night-led", "haze"}

// Covers are the cover materials. "empty" is an empty open bed: nothing can spill, so it is
// labelled covered. tarp-brown is a soil-coloured tarp.
var Covers = []string{"tarp-blue", "tarp-green", "tarp-orange", "tarp-grey", "tarp-brown", "net-green", "net-black", "lid", "empty"}

// Loads are the materials a bed carries ("none" for an empty bed).
var Loads = []string{"soil", "clay", "concrete", "brick", "gravel", "sand", "spoil"}

// Variants say how a label is drawn:
//
//	covered: tarp, net, lid, empty
//	open:    level (load near the boards), low (well below), mound (bucket mounds)
//	torn:    holes (ripped tarp), half-pulled (tarp pulled back along the bed), side-pulled
//	         (pulled off one side), half-lid (a sliding lid part open), net-torn
//	heaped:  bare, net (a dust net over the heap), tarp (a tarp draped over it), lid-ajar (a lid that
//	         cannot close over the heap)
var Variants = map[string][]string{
	Covered: {"tarp", "net", "lid", "empty"},
	Open:    {"level", "low", "mound"},
	Torn:    {"holes", "half-pulled", "side-pulled", "half-lid", "net-torn"},
	Heaped:  {"bare", "net", "tarp", "lid-ajar"},
}

// Spec is what one frame shows: the label and how it is drawn, the light, the cover and the load.
type Spec struct {
	Label     string
	Variant   string
	Condition string
	Cover     string // a Covers name, "" when nothing covers the load
	Load      string // a Loads name or "none"
	Truck     string // the paint: yellow, green, red, blue, white, orange
	Width     int    // frame size; 0 means 640x360
	Height    int
}

// Label is what the generator knows about a frame, written to labels.csv.
type Label struct {
	File      string
	Label     string
	Condition string
	View      string
	Gate      string
	Cover     string
	Load      string
	Variant   string  // details.csv only
	Truck     string  // details.csv only
	HeapAbove float64 // metres the load's top stands above the side boards (negative: below)
	Visible   float64 // fraction of the bed region's pixels that show load, cover or bed
}

var truckPaints = []string{"yellow", "green", "red", "blue", "white", "orange"}

func pick(rng *rand.Rand, xs []string) string { return xs[rng.Intn(len(xs))] }

// RandomSpec draws a spec of the given label and condition: variant, cover, load and paint.
func RandomSpec(rng *rand.Rand, label, condition string) Spec {
	s := Spec{Label: label, Condition: condition, Truck: pick(rng, truckPaints)}
	s.Variant = pick(rng, Variants[label])
	s.Load = pick(rng, Loads)
	tarps := []string{"tarp-blue", "tarp-green", "tarp-orange", "tarp-grey", "tarp-brown", "tarp-blue", "tarp-green"}
	nets := []string{"net-green", "net-green", "net-green", "net-black"}
	switch s.Variant {
	case "tarp", "holes", "half-pulled", "side-pulled":
		s.Cover = pick(rng, tarps)
	case "net", "net-torn":
		s.Cover = pick(rng, nets)
	case "lid", "half-lid", "lid-ajar":
		s.Cover = "lid"
	case "empty":
		s.Cover, s.Load = "empty", "none"
	}
	return s
}
