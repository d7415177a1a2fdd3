// Package cover judges whether the load of a truck leaving a site is properly covered (a tarp, a
// dust net, a closed lid), from one camera frame looking down on or along the load bed: each
// configured region (the bed, and in side views the above-bed band where a heap shows above the
// side boards) gets the probability that the load is not properly covered, the highest is the
// frame's score, and the result names the kind of failure (open, torn, heaped).
//
// Cover scorers implement mud.Scorer, so the camera watcher, the frame quality judge,
// calibration and the frame store serve both checks. They are registered by name in Scorers:
// "classic" weighs white-balanced colour, multi-scale texture, gradient orientation and clod
// statistics by boosted trees (Model, fitted by models/cover/train). The pure parts build
// everywhere; the scorers need OpenCV and report mud.ErrNoVision in builds with -tags nocv.
//
// It must not import sitegate/agent.
package cover
