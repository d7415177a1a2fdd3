// Package scene draws labelled pictures of trucks at a site exit for the mud check: trucks of
// several shapes and colours, clean or with lightly or heavily mud-caked wheels and bodies, in
// day, dusk, night-IR, rain and glare, with motion blur and JPEG compression, always at the same
// gate geometry. It writes labelled frame sets (JPEGs and a labels CSV) for `sitegate eval mud`,
// calibration and training, and video clips for the demo and camera tests.
//
// Every picture is a pure function of its Spec, and every set of its seed, so a set can be
// regenerated exactly. It belongs to the testbench and must not import sitegate/agent or
// sitegate/models.
package scene
