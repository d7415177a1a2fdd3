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
)

// Shapes lists every shape.
var Shapes = []Shape{Tipper2, Tipper3, Tipper4, Mixer, Flatbed}

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
}

// paintNames is Paints' keys in a fixed order, so a seed always picks the same colour.
var paintNames = []string{"red", "brown", "orange", "yellow", "white", "blue", "green", "grey", "dark-green", "black"}

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
