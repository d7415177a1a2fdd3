// Package manifest is the passage check "manifest": on an exit lane, the truck needs an
// electronic transfer manifest for its plate valid at its exit, not used by another exit
// (models/manifest judges; Ledger remembers the uses, durably).
package manifest

import (
	"log/slog"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/manifest"
)

// Name is the check's name.
const Name = "manifest"

func init() { checks.Register(Name, 50, func(d checks.Deps) checks.Check { return &check{d: d} }) }

type check struct{ d checks.Deps }

func (*check) Name() string { return Name }

func (c *check) Judge(f *checks.Facts, out *wire.Checks) models.Verdict {
	mode := config.ManifestsAuto
	if c.d.ManifestCheck != nil {
		mode = c.d.ManifestCheck()
	}
	var set *manifest.Set
	if c.d.Manifests != nil {
		set = c.d.Manifests()
	}
	if c.d.Direction != "exit" || mode == config.ManifestsOff || (set == nil && mode == config.ManifestsAuto) {
		return models.OK // not judged: the check is absent from the passage
	}
	var r manifest.Result
	switch {
	case set == nil:
		r = manifest.Result{Verdict: models.Unknown, Reason: "no manifests held"}
	case f.Plate == nil:
		r = manifest.Result{Verdict: models.Unknown, Reason: "no plate read", Version: set.Version}
	default:
		at := f.EndedAt
		if at.IsZero() {
			at = f.StartedAt
		}
		visit := c.d.Lane + "@" + f.StartedAt.UTC().Format(time.RFC3339Nano)
		used := func(string) (manifest.Use, bool) { return manifest.Use{}, false }
		if c.d.ManifestLedger != nil {
			used = c.d.ManifestLedger.Used
		}
		var m *manifest.Manifest
		r, m = set.Judge(f.PlateText(), at.In(f.Loc()), visit, used)
		// A truck still on the deck (the barrier's provisional judgement) has not used it yet.
		if m != nil && !f.Provisional && c.d.ManifestLedger != nil {
			if err := c.d.ManifestLedger.Record(m.ID, visit, at); err != nil {
				slog.Warn("manifest use not recorded: a second exit on it may not be noticed", "manifest", m.ID, "err", err)
			}
		}
	}
	out.Manifest = &r
	return r.Verdict
}
