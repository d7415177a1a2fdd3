// Package coverscene draws labelled pictures for the cover check (issue 14 item 1): tippers,
// sealed tippers, dropsides and box trucks seen from a gantry camera above the lane or from a
// high pole camera beside it, their loads covered (tarps, dust nets, hard lids, box bodies),
// open, torn or half-pulled, or heaped above the side boards, in day, dusk, night-IR, rain and
// glare. It writes the sets the cover scorers are fitted, calibrated and evaluated on.
//
// # Labels
//
// covered (ok): a tarp, a dust net or a closed hard lid over the load, a box body, or an empty
// bed (cover "empty": nothing to cover, with or without a lid standing open). open: load shows
// and nothing covers it. torn: a cover is there but leaves load showing (pulled over part of the
// bed, holes torn in it, pulled off one side with its edge lifted, one lid panel up). heaped: the
// load stands above the side boards (0.35..0.85 m at the top); heaped wins over covered, so a
// heap under a tarp or a net is heaped, because a load above the sides is the offence whatever
// covers it. The cover column names the material for covered, torn and covered heaped loads,
// and is empty for open ones.
//
// # The world
//
// Metres: X along the lane, Y up, Z across; the camera stands at X = Z = 0, Gate.Height up,
// turned by Pitch, Yaw and Roll, with focal length Zoom (over the frame's width) and radial
// distortion K1 (positive: barrel). A truck stands with its bed's middle at (TruckX, TruckZ),
// moved by up to ±Slack along the lane per picture. The truck is a heightfield over the road on
// a 2.5 cm grid (cab, chassis, side boards, load, cover, a worker on the bed's edge); each pixel
// is a ray marched through it, its hit shaded by what the cell holds: procedural textures in the
// truck's own metres (soil clods and wet patches, gravel stones, broken concrete pieces with
// gaps and rebar rust, sand grain; tarps with folds, seams, ropes and soil smears; the net's
// strands with the load showing through, averaged over a pixel's footprint; lid ribs and seams),
// lit by the sun (with the heightfield's shadows), the sky, or the camera's infrared lamp.
// Vertical faces are the side boards with stiffener ribs, the wheels and dark chassis below
// the bed, the cab with its windows, and the cover hanging over the boards.
//
// Then: motion blur along the lane, the low sun's veil and ghosts, auto exposure, rain
// streaks, gantry bars and lens dirt out of focus, a tone curve, vignetting and sensor noise;
// WriteSet encodes JPEG at the spec's quality.
//
// # Determinism
//
// Render is a pure function of its arguments (textures hash world coordinates, so the rows
// drawn in parallel do not change it), RandomGate of its seed, and WriteSet of its options.
// This package is pure Go; it imports sitegate/models/mud for the Region type only.
package coverscene
