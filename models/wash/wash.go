// Package wash judges whether a truck leaving a site stood in the wash bay long enough (the
// passage check "wash", CONTRACT 10): from the washes seen before it reached the exit, it
// finds the truck's own and compares its duration with the rule's minimum.
//
// It is pure: the washes come from the caller (agent/washbay watches the bay). It imports only
// sitegate/models.
package wash

import (
	"fmt"
	"math"
	"time"

	"sitegate/models"
)

// Interval is one stay of a vehicle in the wash bay.
type Interval struct {
	Start, End time.Time
}

// Duration is how long the stay lasted.
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// Kinds of a wash check's outcome, in the check's `kind`.
const (
	KindWashed = "washed" // stood in the bay at least the minimum
	KindShort  = "short"  // left the bay early
	KindBypass = "bypass" // no wash seen before the exit
)

// Result is the wash check of a passage.
type Result struct {
	Verdict   models.Verdict `json:"verdict"`
	Kind      string         `json:"kind,omitempty"`
	DurationS *float64       `json:"duration_s,omitempty"`
	MinS      float64        `json:"min_s"`
	Source    string         `json:"source"` // what saw the bay: modbus, camera
	StartedAt string         `json:"started_at,omitempty"`
	EndedAt   string         `json:"ended_at,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	// Frame names the passage's evidence file of the stay, a wash-bay camera's frame from its
	// middle ("{camera}-wash.jpg"), where there is one.
	Frame string `json:"frame,omitempty"`
}

// Judge judges a truck's wash from the stay found for it (found false: none), whether the bay's
// input was down during the window the stay was looked for in, and the minimum duration. Times
// are written in loc.
func Judge(stay Interval, found, offline bool, min time.Duration, source string, loc *time.Location) Result {
	r := Result{MinS: min.Seconds(), Source: source}
	if !found {
		if offline {
			r.Verdict, r.Reason = models.Unknown, "the wash bay's "+source+" input was down when the truck should have washed"
			return r
		}
		r.Verdict, r.Kind, r.Reason = models.Alarm, KindBypass, "no wash seen before the exit"
		return r
	}
	d := math.Round(stay.Duration().Seconds()*10) / 10
	r.DurationS = &d
	r.StartedAt = stay.Start.In(loc).Format(time.RFC3339)
	r.EndedAt = stay.End.In(loc).Format(time.RFC3339)
	if stay.Duration() < min {
		r.Verdict, r.Kind = models.Alarm, KindShort
		r.Reason = fmt.Sprintf("washed %.1f s, less than %.0f s", d, min.Seconds())
		return r
	}
	r.Verdict, r.Kind = models.OK, KindWashed
	return r
}
