// Package registration is the passage check "registry": whether the plate is in the site's
// vehicle registry (models/registry). The lookup itself is made once per passage, in the facts.
package registration

import (
	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models"
)

// Name is the check's name.
const Name = "registry"

func init() { checks.Register(Name, 20, func(checks.Deps) checks.Check { return check{} }) }

type check struct{}

func (check) Name() string { return Name }

func (check) Judge(f *checks.Facts, out *wire.Checks) models.Verdict {
	out.Registry = f.Lookup
	return f.Lookup.Verdict
}
