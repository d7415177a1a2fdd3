// Package frames is the preamble every vision scorer runs on a camera frame before judging it:
// the checks that it is a frame at all (not empty, a sane size, 8-bit) and its conversion to
// 8-bit BGR.
//
// It needs OpenCV; in builds with -tags nocv it is empty. It must not import sitegate/agent.
package frames
