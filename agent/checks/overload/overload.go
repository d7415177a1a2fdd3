// Package overload is the passage check "overload": the stable gross weight against the GB
// 1589-2016 limit for the vehicle, or its registered maximum when lower (models/overload), with
// the rules' tolerance.
package overload

import (
	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models"
	"sitegate/models/overload"
)

// Name is the check's name.
const Name = "overload"

func init() { checks.Register(Name, 10, func(d checks.Deps) checks.Check { return check{d} }) }

type check struct{ d checks.Deps }

func (check) Name() string { return Name }

func (c check) Judge(f *checks.Facts, out *wire.Checks) models.Verdict {
	r := overload.Check(f.GrossKg, f.Stable,
		overload.Vehicle{Registered: f.Registered, Axles: f.Vehicle.Axles, MaxGrossKg: f.Vehicle.MaxGrossKg},
		c.d.RulesNow().Overload.ToleranceKg)
	if !f.Weighed {
		r.Reason = "no weighing took place"
	}
	out.Overload = r
	return r.Verdict
}
