// Package permit is the passage check "permit": a registered vehicle's permit dates and hours
// at the passage's start (models/registry); unknown for a vehicle that is not registered.
package permit

import (
	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models"
	"sitegate/models/registry"
)

// Name is the check's name.
const Name = "permit"

func init() { checks.Register(Name, 30, func(checks.Deps) checks.Check { return check{} }) }

type check struct{}

func (check) Name() string { return Name }

func (check) Judge(f *checks.Facts, out *wire.Checks) models.Verdict {
	r := registry.Result{Verdict: models.Unknown, Reason: f.Lookup.Reason}
	switch {
	case f.Registered:
		r = registry.CheckPermit(f.Vehicle, f.StartedAt.In(f.Loc()))
	case f.Lookup.Verdict == models.Alarm:
		r.Reason = "plate not in registry"
	}
	out.Permit = r
	return r.Verdict
}
