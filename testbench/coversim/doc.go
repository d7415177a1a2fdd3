// Package coversim is a second, independent world of muck trucks at site exits, drawn to judge
// the cover check (covered, open, torn, heaped) on scenes its scorer was never fitted on. Use its
// sets to evaluate only, never to fit or calibrate on: a scorer tuned on them stops telling how
// it does on a site it has not seen.
//
// A frame is ray-cast: a pinhole camera with radial distortion on a gantry over the exit or on a
// pole beside the lane, a dump truck whose bed holds a load height field (soil, clay, broken
// concrete and brick, gravel, sand, mixed spoil) and a cover height field (tarps tied with
// ropes, dust nets that let the load show through, sliding hard lids), lit by sun and sky, an
// overcast sky, dusk, an IR illuminator or a white LED floodlight, in rain, glare or dust haze;
// then the camera: auto exposure, flare, raindrops, blur, vignetting, noise, JPEG. The model of
// the world is described in docs/coversim.md.
//
// It imports only the standard library; nothing but tests and the coversim command import it.
package coversim
