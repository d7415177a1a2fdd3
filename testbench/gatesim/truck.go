package gatesim

import (
	"math/rand"
)

// Kinds of vehicle leaving a site.
const (
	KindTipper8x4 = "tipper-8x4" // the 渣土车 of Chinese cities: four axles, sealed lid
	KindTipper6x4 = "tipper-6x4"
	KindMixer     = "mixer"
	KindFlatbed   = "flatbed"
	KindVan       = "van"
	KindPickup    = "pickup"
)

// Kinds lists every vehicle kind, heavy first.
var Kinds = []string{KindTipper8x4, KindTipper6x4, KindMixer, KindFlatbed, KindVan, KindPickup}

// Mud kinds.
const (
	MudFresh = "fresh" // mid brown, moist
	MudWet   = "wet"   // dark, shiny
	MudDried = "dried" // pale crust, cracked
	MudClay  = "clay"  // red-brown or loess yellow
	MudGrey  = "grey"  // grey-brown silt
)

// Paint is a named sRGB colour.
type Paint struct {
	Name    string
	R, G, B uint8
}

func (p Paint) lin() rgb { return srgb(float64(p.R), float64(p.G), float64(p.B)) }

// Cab and body paints of site trucks: the green of city muck trucks, blue, white, yellow, red,
// orange, and the brown and ochre that fool colour detectors.
var (
	BodyPaints = []Paint{
		{"green", 30, 132, 76}, {"green", 44, 150, 92}, {"dark-green", 28, 88, 56},
		{"blue", 30, 78, 158}, {"light-blue", 70, 130, 190}, {"white", 226, 228, 224},
		{"yellow", 226, 176, 28}, {"red", 170, 34, 28}, {"orange", 214, 104, 30},
		{"grey", 124, 128, 132}, {"ochre", 168, 118, 48}, {"brown", 118, 78, 44},
	}
	RimPaints = []Paint{
		{"silver", 192, 194, 196}, {"white", 224, 224, 218}, {"red", 168, 38, 31},
		{"grey", 110, 112, 116}, {"black", 40, 40, 42}, {"cream", 214, 204, 170},
	}
	GuardPaints = []Paint{
		{"white", 220, 220, 214}, {"yellow", 222, 178, 30}, {"grey", 120, 122, 124},
		{"black", 34, 34, 36}, {"red", 160, 36, 30},
	}
)

// Truck is one vehicle and its state: what it is, how it is painted, and what is on it.
type Truck struct {
	Kind  string
	Cab   Paint
	Body  Paint
	Rim   Paint
	Guard Paint // side guard bars
	Lid   bool  // a sealed lid on the box (new-style muck trucks)

	Mud      float64 // 0 clean; 0.2..1 how much mud is on the wheels and lower body
	MudKind  string
	MudKind2 string  // a second mud in patches
	Wet      float64 // water from the wash bay on wheels and body (clean or not)
	Rust     float64 // rust on rims, chassis and guards
	Dust     float64 // a fine even grey dust film (not mud)
	Offset   float64 // along the lane from the gate's stop, m
	Lateral  float64 // across the lane from the lane line, m (>0 toward the camera)
	Seed     uint32  // texture seed
	Tread    float64 // 0 worn .. 1 new (how much tread shows)
	TyreGrey float64 // 0 black rubber .. 1 sun-faded grey
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.Intn(len(xs))] }

// RandomTruck draws a truck standing at gate g, with mud when muddy.
func RandomTruck(rng *rand.Rand, g Gate, muddy bool) Truck {
	t := Truck{}
	t.Kind = []string{KindTipper8x4, KindTipper8x4, KindTipper8x4, KindTipper6x4, KindTipper6x4, KindMixer, KindFlatbed, KindVan, KindPickup}[rng.Intn(9)]
	t.Cab = pick(rng, BodyPaints)
	t.Body = t.Cab
	if rng.Float64() < 0.4 {
		t.Body = pick(rng, BodyPaints)
	}
	t.Rim = pick(rng, RimPaints)
	t.Guard = pick(rng, GuardPaints)
	t.Lid = t.Kind == KindTipper8x4 && rng.Float64() < 0.8 || t.Kind == KindTipper6x4 && rng.Float64() < 0.4
	t.Offset = (rng.Float64()*2 - 1) * g.StopJitter
	t.Lateral = (rng.Float64()*2 - 1) * g.LaneJitter
	t.Seed = rng.Uint32()
	t.Tread = rng.Float64()
	t.TyreGrey = rng.Float64() * rng.Float64()
	// conditions of the body that are not mud, drawn alike for both labels
	if rng.Float64() < 0.3 {
		t.Rust = 0.2 + rng.Float64()*0.8
	}
	if rng.Float64() < 0.4 {
		t.Dust = rng.Float64() * 0.5
	}
	if muddy {
		// from a modest but visible amount up to wheels caked solid
		t.Mud = 0.2 + 0.8*rng.Float64()
		t.MudKind = pick(rng, []string{MudFresh, MudFresh, MudWet, MudDried, MudClay, MudGrey})
		t.MudKind2 = pick(rng, []string{MudFresh, MudWet, MudDried, MudClay, MudGrey})
		if rng.Float64() < 0.2 {
			t.Wet = rng.Float64() * 0.6 // half washed
		}
	} else if rng.Float64() < 0.45 {
		t.Wet = 0.4 + rng.Float64()*0.6 // straight out of the wash bay
	}
	return t
}

type axle struct {
	x    float64 // from the rear of the vehicle
	dual bool
}

// spec is the side-view layout of a vehicle kind, metres from its rear (x) and the road (y).
type spec struct {
	length           float64
	width            float64
	tyreR, rimR      float64
	tyreW            float64
	axles            []axle
	cabX0, cabTop    float64 // the cab runs from cabX0 to the front
	cabBottom        float64
	body             string // box, drum, flat, van, bed
	bodyX0, bodyX1   float64
	bodyBot, bodyTop float64
	frameY0, frameY1 float64 // chassis rails
	holes            int     // hand holes in a rim
}

func (t Truck) spec() spec {
	sp := t.layout()
	sp.width = truckWidth
	switch t.Kind {
	case KindVan:
		sp.width = 1.9
	case KindPickup:
		sp.width = 1.85
	}
	return sp
}

func (t Truck) layout() spec {
	switch t.Kind {
	case KindTipper8x4:
		return spec{length: 9.8, tyreR: 0.54, rimR: 0.29, tyreW: 0.3,
			axles: []axle{{1.85, true}, {3.2, true}, {6.4, false}, {8.3, false}},
			cabX0: 7.45, cabTop: 3.25, cabBottom: 1.02, body: "box",
			bodyX0: 0.05, bodyX1: 7.25, bodyBot: 1.32, bodyTop: 2.95 + float64(t.Seed%5)*0.1,
			frameY0: 0.78, frameY1: 1.06, holes: 10}
	case KindTipper6x4:
		return spec{length: 8.4, tyreR: 0.53, rimR: 0.29, tyreW: 0.3,
			axles: []axle{{1.95, true}, {3.3, true}, {6.9, false}},
			cabX0: 6.15, cabTop: 3.1, cabBottom: 1.0, body: "box",
			bodyX0: 0.1, bodyX1: 5.95, bodyBot: 1.3, bodyTop: 2.7 + float64(t.Seed%4)*0.1,
			frameY0: 0.78, frameY1: 1.04, holes: 10}
	case KindMixer:
		return spec{length: 9.6, tyreR: 0.54, rimR: 0.29, tyreW: 0.3,
			axles: []axle{{1.8, true}, {3.15, true}, {6.3, false}, {8.15, false}},
			cabX0: 7.3, cabTop: 3.2, cabBottom: 1.02, body: "drum",
			bodyX0: 0.3, bodyX1: 7.0, bodyBot: 1.2, bodyTop: 3.8,
			frameY0: 0.8, frameY1: 1.08, holes: 10}
	case KindFlatbed:
		return spec{length: 9.4, tyreR: 0.53, rimR: 0.29, tyreW: 0.3,
			axles: []axle{{1.7, true}, {3.05, true}, {7.9, false}},
			cabX0: 7.1, cabTop: 3.15, cabBottom: 1.0, body: "flat",
			bodyX0: 0.0, bodyX1: 6.9, bodyBot: 1.25, bodyTop: 1.85,
			frameY0: 0.8, frameY1: 1.06, holes: 10}
	case KindVan:
		return spec{length: 5.4, tyreR: 0.35, rimR: 0.2, tyreW: 0.2,
			axles: []axle{{1.25, false}, {4.35, false}},
			cabX0: 3.6, cabTop: 2.35, cabBottom: 0.55, body: "van",
			bodyX0: 0.0, bodyX1: 3.6, bodyBot: 0.55, bodyTop: 2.35,
			frameY0: 0.42, frameY1: 0.55, holes: 5}
	default: // pickup
		return spec{length: 5.3, tyreR: 0.38, rimR: 0.22, tyreW: 0.24,
			axles: []axle{{1.05, false}, {4.15, false}},
			cabX0: 2.9, cabTop: 1.85, cabBottom: 0.6, body: "bed",
			bodyX0: 0.0, bodyX1: 2.85, bodyBot: 0.6, bodyTop: 1.15,
			frameY0: 0.45, frameY1: 0.6, holes: 6}
	}
}
