package scene

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// ErrNoCV is returned by rendering functions in builds without OpenCV (-tags nocv).
var ErrNoCV = errors.New("scene: rendering is not in this build (built with -tags nocv)")

// Condition is the light and weather of a picture.
type Condition string

// Conditions a picture can be taken in.
const (
	Day     Condition = "day"      // sun, with hard shadows across the truck
	Dusk    Condition = "dusk"     // low warm light, sensor noise
	NightIR Condition = "night-ir" // greyscale under the camera's infrared illuminator
	Rain    Condition = "rain"     // streaks, a wet road mirroring the truck
	Glare   Condition = "glare"    // low sun into the lens: washed-out colours and a bright bloom
)

// Conditions lists every condition, in a fixed order.
var Conditions = []Condition{Day, Dusk, NightIR, Rain, Glare}

// Severity is how much mud a truck carries.
type Severity string

// Severities of mud.
const (
	Clean Severity = "clean"
	Light Severity = "light" // mud on the wheels and a few splashes
	Heavy Severity = "heavy" // wheels caked, lower body splashed
)

// Severities lists every severity, in a fixed order.
var Severities = []Severity{Clean, Light, Heavy}

// Label is the verdict a picture deserves: "muddy" for light and heavy mud, else "clean".
func (s Severity) Label() string {
	if s == Clean {
		return "clean"
	}
	return "muddy"
}

// Shape is a truck body type.
type Shape string

// Shapes of truck.
const (
	Tipper2 Shape = "tipper-2axle"
	Tipper3 Shape = "tipper-3axle"
	Tipper4 Shape = "tipper-4axle"
	Mixer   Shape = "mixer"
	Flatbed Shape = "flatbed"
	Tanker  Shape = "tanker"    // a cylindrical tank
	Box     Shape = "box-truck" // a tall closed box
)

// Shapes lists the reference shapes, which Random draws from.
var Shapes = []Shape{Tipper2, Tipper3, Tipper4, Mixer, Flatbed}

// AllShapes lists every shape, which RandomAt draws from.
var AllShapes = []Shape{Tipper2, Tipper3, Tipper4, Mixer, Flatbed, Tanker, Box}

// Paints are the truck colours, by name; red, orange and brown cabs must not read as mud.
var Paints = map[string][3]uint8{ // RGB
	"red":        {190, 35, 30},
	"brown":      {110, 70, 40},
	"orange":     {225, 120, 30},
	"yellow":     {230, 195, 40},
	"white":      {225, 225, 220},
	"blue":       {35, 80, 165},
	"green":      {40, 120, 60},
	"grey":       {120, 122, 125},
	"dark-green": {30, 70, 45},
	"black":      {30, 30, 32},
	// Paints RandomAt adds: sand and beige are the colours of dry clay.
	"sand":   {196, 170, 122},
	"beige":  {214, 200, 166},
	"silver": {186, 189, 194},
	"maroon": {112, 32, 36},
	"teal":   {28, 118, 124},
	"purple": {92, 50, 130},
	"cream":  {236, 228, 200},
	"rust":   {150, 78, 42},
}

// paintNames is Paints' keys in a fixed order, so a seed always picks the same colour.
var paintNames = []string{"red", "brown", "orange", "yellow", "white", "blue", "green", "grey", "dark-green", "black"}

// allPaints is every paint, in a fixed order, for RandomAt.
var allPaints = append(append([]string(nil), paintNames...), "sand", "beige", "silver", "maroon", "teal", "purple", "cream", "rust")

// Spec is everything that decides one picture.
type Spec struct {
	Seed      uint64 // the details: mud blobs, shadows, rain, noise
	Condition Condition
	Severity  Severity
	Shape     Shape
	Cab, Body string  // paint names
	OffsetX   float64 // where the truck stopped, as a fraction of the width (about ±0.03)
	// Blur is the horizontal motion blur in pixels at 640 wide (0: none).
	Blur float64
	// JPEGQuality is the compression the picture went through (0: none).
	JPEGQuality int

	// Gate is the camera's geometry (the zero Gate: the reference gate).
	Gate Gate
	// Hazards are what can fool a mud check without being mud on the truck.
	Hazards Hazards
}

// Hazards are the things at a gate that look like mud, or hide it, without changing the
// truck's label. The zero value is none.
type Hazards struct {
	// Scale is the truck's size relative to the reference truck (0 means 1).
	Scale float64
	// Wet is a truck fresh from the wash bay: darker, glistening wheels and body, drips and a
	// puddle. Water is not mud.
	Wet bool
	// RoadMud is mud and tyre tracks on the road around the truck, whatever its own state.
	RoadMud bool
	// WheelShadow is the shadow of a pole or gantry across the wheels.
	WheelShadow bool
	// LensSpots is how many dirty spots there are on the lens.
	LensSpots int
	// Barrier is a barrier arm in front of the truck.
	Barrier bool
	// Person is a person (in a hi-vis vest) in front of the truck.
	Person bool
}

// Names lists the hazards present, or "none".
func (h Hazards) Names() string {
	var out string
	add := func(ok bool, n string) {
		if !ok {
			return
		}
		if out != "" {
			out += "+"
		}
		out += n
	}
	add(h.Wet, "wet")
	add(h.RoadMud, "road-mud")
	add(h.WheelShadow, "wheel-shadow")
	add(h.LensSpots > 0, "lens-spots")
	add(h.Barrier, "barrier")
	add(h.Person, "person")
	if out == "" {
		return "none"
	}
	return out
}

// RandomAt picks a truck at gate g and its circumstances for cond and sev from rng: every
// shape and paint, trucks of different sizes, some stopped short or past the mark (partly out
// of the picture), and the hazards of a real gate, each in a share of the pictures.
func RandomAt(rng *rand.Rand, g Gate, cond Condition, sev Severity) Spec {
	jit := g.StopJitter
	if jit <= 0 {
		jit = 0.03
	}
	s := Spec{
		Seed:      rng.Uint64(),
		Condition: cond,
		Severity:  sev,
		Shape:     AllShapes[rng.IntN(len(AllShapes))],
		Cab:       allPaints[rng.IntN(len(allPaints))],
		Body:      allPaints[rng.IntN(len(allPaints))],
		OffsetX:   (rng.Float64()*2 - 1) * jit,
		Gate:      g,
	}
	if rng.IntN(8) == 0 { // stopped well off the mark: partly out of the picture
		s.OffsetX = (rng.Float64()*2 - 1) * 0.15
	}
	if rng.IntN(3) > 0 {
		s.Blur = 1 + rng.Float64()*7
	}
	s.JPEGQuality = 25 + rng.IntN(71)
	h := &s.Hazards
	h.Scale = 0.85 + rng.Float64()*0.3
	h.Wet = rng.IntN(5) == 0
	h.RoadMud = rng.IntN(5) == 0
	h.WheelShadow = cond == Day && rng.IntN(3) == 0
	if rng.IntN(6) == 0 {
		h.LensSpots = 1 + rng.IntN(4)
	}
	h.Barrier = rng.Float64() < g.Barrier
	h.Person = rng.IntN(10) == 0
	return s
}

// Random picks a truck and its circumstances for cond and sev from rng.
func Random(rng *rand.Rand, cond Condition, sev Severity) Spec {
	s := Spec{
		Seed:      rng.Uint64(),
		Condition: cond,
		Severity:  sev,
		Shape:     Shapes[rng.IntN(len(Shapes))],
		Cab:       paintNames[rng.IntN(len(paintNames))],
		Body:      paintNames[rng.IntN(len(paintNames))],
		OffsetX:   (rng.Float64()*2 - 1) * 0.03,
	}
	if rng.IntN(3) > 0 {
		s.Blur = 1 + rng.Float64()*7
	}
	s.JPEGQuality = 25 + rng.IntN(71)
	return s
}

// String names the spec in a file name.
func (s Spec) String() string {
	return fmt.Sprintf("%s-%s-%s-%s-%s", s.Condition, s.Severity, s.Shape, s.Cab, s.Body)
}

// Region is a named region of interest, a polygon in relative coordinates (0..1).
type Region struct {
	Name    string
	Polygon [][]float64
}

// Regions are where the gate camera sees the wheels and the lower body of a truck stopped on
// the weighbridge; a site's config would list the same polygons under cameras[].rois.
var Regions = []Region{
	{Name: "wheels", Polygon: [][]float64{{0.03, 0.69}, {0.98, 0.69}, {0.98, 0.93}, {0.03, 0.93}}},
	{Name: "lower-body", Polygon: [][]float64{{0.03, 0.52}, {0.98, 0.52}, {0.98, 0.69}, {0.03, 0.69}}},
}

// RegionLabel is the ground truth of one region: light mud is on the wheels only, heavy mud on
// both.
func RegionLabel(sev Severity, region string) string {
	switch {
	case sev == Heavy:
		return "muddy"
	case sev == Light && region == "wheels":
		return "muddy"
	}
	return "clean"
}
