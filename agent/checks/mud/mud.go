// Package mud is the passage check "mud": the mud scores of the lane's cameras that have
// regions over the wheels (agent/mudwatch runs each camera's analysis beside the lane).
package mud

import (
	"sitegate/agent/checks"
	"sitegate/agent/wire"
)

// Name is the check's name, also the key of a camera's watcher in checks.Camera.Vision.
const Name = "mud"

func init() {
	checks.Register(Name, 40, func(d checks.Deps) checks.Check {
		return checks.NewVision(Name, d.Watchers(Name), func(c *wire.Checks, r wire.VisionResult) { c.Mud = r },
			"mud vision is not enabled on this lane")
	})
}
