// Package cover is the passage check "cover": whether the load of a leaving truck is covered,
// from the lane's cameras that have a cover block (regions over the load bed). Each camera's
// analysis runs beside the lane (agent/mudwatch with the cover scorers of models/cover); an
// open, torn or heaped load is an alarm, and the kind found is in the check. A lane with no
// such camera reports unknown with the reason, never an alarm.
package cover

import (
	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models/cover"
)

// Name is the check's name, also the key of a camera's watcher in checks.Camera.Vision.
const Name = "cover"

// Disabled is the reason the check gives on a lane whose cameras have no cover block.
const Disabled = "cover vision is not enabled on this lane"

func init() {
	// After mud (40), before manifest (50): the camera checks together.
	checks.Register(Name, 45, func(d checks.Deps) checks.Check {
		return checks.NewVision(Name, d.Watchers(Name), func(c *wire.Checks, r wire.VisionResult) { c.Cover = &r }, Disabled)
	})
}

// KindOf is the kind the check reports for a judged frame, agreeing with its verdict under the
// model in force (whose threshold need not be the scorer's 0.5): covered below the threshold;
// at or above it the scorer's failure kind (open, torn, heaped), or uncovered when the scorer
// itself found the load covered (a calibration or a lower threshold made it an alarm).
func KindOf(scorerKind string, score, threshold float64) string {
	if score < threshold {
		return cover.Covered
	}
	if alarm, ok := cover.IsAlarmLabel(scorerKind); ok && alarm {
		return scorerKind
	}
	return cover.Uncovered
}
