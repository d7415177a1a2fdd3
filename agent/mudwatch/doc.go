// Package mudwatch runs a camera check of one camera, the mud check or the cover check
// (Options.Check): while a truck is in the lane it samples the camera's latest frame at the
// configured rate in its own goroutine, scores it with the camera's scorer (models/mud, or
// models/cover for cover), and keeps the frame that shows the regions best, so the lane can take
// the result, with a raw and an annotated JPEG as evidence, without waiting. A camera with both
// checks runs two watchers over the same stream.
//
// It imports drivers/camera, models/mud, models/cover and agent/checks (for the result types);
// the lane never imports it. Every use of gocv is in files built without the nocv tag.
package mudwatch
