// Package gatesim is an independent generator of exit-gate wheel-camera frames, held out from
// every fit: it stands in for a real gate the mud models have never seen. It shares no code and
// no statistics with the project's training scene generator and must never be used to train or
// calibrate; evaluate with it only. It is pure Go (image, image/jpeg, its own rasteriser).
//
// # The world
//
// Metres, a right-handed frame: X runs along the lane, Y is up, Z points across the lane toward
// the camera. The near side of a standing vehicle is the plane Z = 0 (moved by Truck.Lateral),
// its far side Z = -2.5; the camera stands at X = 0, CamHeight up, CamDist from that plane.
//
// A Gate is the fixed geometry a technician installs: camera height, distance, yaw, pitch,
// roll, horizontal field of view, barrel distortion k (the output keeps the pinhole's corners
// and magnifies its centre by 1+k), where trucks stop (StopX, ± StopJitter along the lane,
// ± LaneJitter across it) and which way they face, the road (concrete slabs, asphalt with
// paint, the steel chequer plate of a weighbridge deck, patched asphalt; wet or dry, puddles),
// what stands behind the lane (blue or green site hoarding with slogan banners, a brick wall,
// a mesh fence, gate pillars, open ground) with far buildings, trees and sky, and occluders
// (a pole, a barrier arm ahead of the truck, a worker in a hi-vis vest now and then, the spray
// pipes of a wheel-wash platform along a wet lane).
// RandomGate draws one; NamedGates are four fixed ones (a low wash-bay camera, a pole over a
// weighbridge, a wide distorted exit camera, a long lens across a patched road). Gate.ROIs and
// Gate.CameraYAML give the regions a technician would draw: the band of the wheels and of the
// lower body of a truck standing where trucks stand, over every kind's length and the stop's
// slack, clipped to the frame, in the distorted frame's 0..1 coordinates.
//
// A Truck is a vehicle kind (8x4 and 6x4 tippers with or without a sealed lid, a concrete
// mixer, a flatbed, a van, a pickup; each with its own axle layout, tyre and rim sizes, dual
// rear wheels on the heavy ones), its paints (cab, body, rims, side guards; the green, blue,
// white, yellow, red and orange of site trucks, and ochre and brown ones), and its state: mud
// (Mud 0 clean, 0.2..1 from a modest amount to wheels caked solid; kinds fresh, wet, dried
// crust, red clay or loess, grey silt, mixed in patches), water from the wash bay (Wet: darker,
// glossy, drops and runs), rust on steel, an even grey dust film, tread wear, faded rubber.
// The least labelled amount is still drawn plainly (mudModel.effective lifts 0.2 to about 0.38
// of full coverage), so that every muddy label is mud a person would call mud. Mud is laid where
// it lands: on the tread and sidewalls, packed in the rim well and hand
// holes (more on the lower half), and thrown up and back from each tyre onto mudguards, side
// guards, the fuel tank, chassis and the bottom of the body as blobs, dots, drips and a film.
//
// A Condition is what changes frame to frame: the light (day sun with hard shadows and
// optionally a building's shadow edge across the wheels, overcast, dusk, night infrared from
// the camera with a bright centre, night with a white floodlight, rain with streaks and a wet
// road, low sun glare with veiling and ghosts), exposure, sensor noise, JPEG quality, motion
// blur along the lane, dirt or dried muddy water spots on the lens, mud and tyre tracks on the
// road beside a clean truck, a worker in view, a failed lamp.
//
// Rendering: each road, wall and sky pixel is a ray cast from the camera; the vehicle and the
// occluders are planar polygons (anti-aliased scanline fill) whose pixels are shaded by casting
// back onto their plane, so textures, mud and rims are procedural in the vehicle's own metres.
// Light is linear: sky, sun (with the vehicle's shadow on the road found by ray-box tests and
// the darkness under it), lamps with a cone; an infrared camera sees near-infrared
// reflectances. The vehicle is drawn on a layer so that motion blur and the wet road's mirror
// image apply to it. Then the lens warp, glare, lens spots, vignetting, auto exposure on the
// log-mean, a tone curve, sensor noise; WriteSet encodes JPEG at the condition's quality.
//
// Labels: muddy means mud on the vehicle's wheels, tyres or lower body. Clean includes the
// hard negatives, drawn alike for both labels or on purpose for clean vehicles: wet clean
// wheels, mud and puddles on the road, brown and ochre paint, rust, spoil heaped in an open
// box, shadows, brown lens spots. Label.Hard names those present.
//
// Blind frames (BlindFrame) cannot carry a verdict: black, flat grey, heavy blur, a lens caked
// in mud, infrared failure at night, overexposed white; empty-lane frames are a Truck with no
// Kind.
//
// Everything follows from the seed: Render is deterministic for its arguments and rng state,
// and WriteSet for its Options. This package imports nothing of sitegate.
package gatesim
