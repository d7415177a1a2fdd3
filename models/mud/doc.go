// Package mud judges whether a truck leaving a site carries mud, from one camera frame: it scores
// each configured region of interest (wheels, lower body) in [0, 1], takes the highest as the
// frame's score, and compares it with the camera's threshold.
//
// Two scorers share one interface, registered by name in Scorers (a sitegate/models/vision
// registry, which config validation reads): "classic" (colour and texture statistics of each
// region, weighed by boosted decision trees) and "onnx" (a small image classifier run through
// OpenCV's dnn module, described by a model spec). The pure parts — regions, verdicts, metrics,
// threshold and weight fitting, model specs, the registry — build everywhere; the scorers need
// OpenCV and report ErrNoVision in builds with -tags nocv.
//
// It must not import sitegate/agent.
package mud
