// Package wash is the passage check "wash": the truck must have stood in the lane's wash bay
// at least rules.wash.min_duration before it reached the exit deck (models/wash judges;
// agent/washbay watches the bay). A lane with no wash bay configured is not judged.
package wash

import (
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models"
	"sitegate/models/wash"
)

// Name is the check's name.
const Name = "wash"

// Slack is how long after a truck reached the deck its wash may still be ending: where the wash
// bay runs up to the weighbridge, the truck's rear is still in it.
const Slack = 30 * time.Second

func init() { checks.Register(Name, 60, func(d checks.Deps) checks.Check { return &check{d: d} }) }

// Frames is a wash bay that keeps a camera's frame of each stay (agent/washbay).
type Frames interface {
	Frame(stay wash.Interval) (camera string, jpeg []byte, at time.Time, ok bool)
}

type check struct{ d checks.Deps }

func (*check) Name() string { return Name }

func (c *check) Judge(f *checks.Facts, out *wire.Checks) models.Verdict {
	if c.d.Wash == nil {
		return models.OK // not judged: absent from the passage
	}
	window := c.d.WashWindow
	if window <= 0 {
		window = 10 * time.Minute
	}
	visit := c.d.Lane + "@" + f.StartedAt.UTC().Format(time.RFC3339Nano)
	// A truck still on the deck (the barrier's provisional judgement) takes nothing yet.
	stay, found, down := c.d.Wash.Find(f.StartedAt.Add(-window), f.StartedAt.Add(Slack), visit, !f.Provisional)
	r := wash.Judge(stay, found, down, c.d.RulesNow().Wash.MinDuration.D(), c.d.Wash.Source(), f.Loc())
	if fr, ok := c.d.Wash.(Frames); ok && found && !f.Provisional {
		if cam, jpeg, at, ok := fr.Frame(stay); ok {
			r.Frame = cam + "-wash.jpg"
			f.AddEvidence(checks.Evidence{Name: r.Frame, Camera: cam, JPEG: jpeg, At: at})
		}
	}
	out.Wash = &r
	return r.Verdict
}
