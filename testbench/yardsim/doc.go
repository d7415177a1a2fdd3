// Package yardsim draws a third world of exit-gate camera frames for fitting the mud models: a
// truck standing at a site's exit gate, seen from beside and a little in front at wheel height to
// a few metres up, rendered by casting a ray per pixel into a small 3-D yard (road, truck side and
// front faces, wheels, a back wall, occluders) under one of several lights, then spoilt the way a
// gate camera spoils it (lens distortion, haze, rain, lens spots, glare, blur, noise, JPEG).
//
// It is written apart from testbench/scene and testbench/gatesim and shares no code with them, so
// that a model fitted on scene plus yardsim can be scored on gatesim, which neither saw. yardsim is
// used for fitting; gatesim stays held out.
//
// It imports only the standard library; nothing but tests, the training tools and its command
// imports it.
package yardsim
