// Package quality judges whether a camera frame can carry a vision verdict at all, before any
// scorer looks at it: exposure (too dark, overexposed), contrast, sharpness, lens obstruction (a
// large uniform blob over the regions, such as mud on the lens) and whether anything stands in
// the regions (against an empty-lane reference learned per camera, else by texture). It is
// scorer-independent, so every camera check (mud, cover) asks it first, and a frame it rejects
// is never judged ok.
//
// The measures (Assess, Reference) are pure Go over a small greyscale copy of the frame; Judge,
// Learn and GreyOf, which make that copy, need OpenCV and are absent in builds with -tags nocv.
// It must not import sitegate/agent.
package quality
