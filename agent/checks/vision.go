package checks

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"sitegate/agent/wire"
	"sitegate/models"
)

// VisionWatcher is one camera's check running beside the lane (agent/mudwatch for mud). The
// lane only tells it when a truck is present and takes its result when a passage is stored;
// neither call may wait for an analysis.
type VisionWatcher interface {
	SetActive(on bool)
	Take(c Caption) VisionOutcome
	// Peek is the judgement so far, without taking it: whether a frame was judged yet, its
	// score and the threshold (for the barrier's decision while the truck is still there).
	Peek() (judged bool, score, threshold float64)
}

// Caption is what the annotated evidence image says of the passage.
type Caption struct {
	Plate    string
	WeightKg float64 // 0: no stable weight
	// Alarms are the passage's alarms judged before this check (overload, registry, ...,
	// no_plate, no_weight), written beside its own verdict.
	Alarms []string
	// PassageID is the passage the judgement belongs to ("" when unknown): the watcher keeps
	// its judged frames under it, for reviews to label.
	PassageID string
}

// VisionOutcome is one camera's judgement of a passage.
type VisionOutcome struct {
	Camera    string
	Scorer    string
	Model     string // the version of the model that judged ("" when none did)
	Judged    bool   // false: Reason says why not
	Score     float64
	Threshold float64
	Regions   []wire.RegionScore
	Reason    string
	At        time.Time // when the judged frame was taken
	// Raw and Annotated are the judged frame as JPEGs, without and with the regions, scores,
	// plate, weight and time drawn on it.
	Raw, Annotated []byte
	// Kind is what a scorer of several kinds found in the judged frame (mud.Result.Kind): the
	// cover check's covered, open, torn, heaped or uncovered; "" for mud.
	Kind string
}

// Vision is a camera check over one or more cameras' watchers: alarm if any judged camera is
// at or above its threshold; the reported score is the highest; unknown when no camera could
// judge. Each camera's judged frame becomes evidence named {camera}-{check}.jpg (and
// -annotated.jpg).
type Vision struct {
	name     string
	watchers []VisionWatcher
	set      func(*wire.Checks, wire.VisionResult)
	disabled string
}

// NewVision builds a camera check; set stores its result in the passage's checks, and disabled
// is the reason given when the lane has no camera with this check.
func NewVision(name string, watchers []VisionWatcher, set func(*wire.Checks, wire.VisionResult), disabled string) *Vision {
	return &Vision{name: name, watchers: watchers, set: set, disabled: disabled}
}

// Name is the check's name.
func (v *Vision) Name() string { return v.name }

// SetActive tells every camera whether a truck is in the lane.
func (v *Vision) SetActive(on bool) {
	for _, w := range v.watchers {
		w.SetActive(on)
	}
}

// Judge takes every camera's outcome; for provisional facts it only peeks, and names the
// check in Facts.Waiting while a camera has judged nothing yet.
func (v *Vision) Judge(f *Facts, out *wire.Checks) models.Verdict {
	if len(v.watchers) == 0 {
		r := wire.VisionResult{Verdict: models.Unknown, Reason: v.disabled}
		v.set(out, r)
		return r.Verdict
	}
	if f.Provisional {
		return v.peek(f, out)
	}
	c := Caption{Plate: f.PlateText(), Alarms: alarmsSoFar(f, out), PassageID: f.PassageID}
	if f.Stable {
		c.WeightKg = f.GrossKg
	}
	outs := make([]VisionOutcome, 0, len(v.watchers))
	for _, w := range v.watchers {
		outs = append(outs, w.Take(c))
	}
	r, ev := v.Combine(outs)
	f.AddEvidence(ev...)
	v.set(out, r)
	return r.Verdict
}

func (v *Vision) peek(f *Facts, out *wire.Checks) models.Verdict {
	outs := make([]VisionOutcome, 0, len(v.watchers))
	waiting := false
	for _, w := range v.watchers {
		judged, score, threshold := w.Peek()
		waiting = waiting || !judged
		outs = append(outs, VisionOutcome{Judged: judged, Score: score, Threshold: threshold, Reason: "not judged yet"})
	}
	if waiting {
		f.Waiting = append(f.Waiting, v.name)
	}
	r, _ := v.Combine(outs)
	v.set(out, r)
	return r.Verdict
}

// Combine judges a passage from its cameras' outcomes.
func (v *Vision) Combine(outs []VisionOutcome) (wire.VisionResult, []Evidence) {
	var ev []Evidence
	var reasons []string
	best := -1
	for i, o := range outs {
		if len(o.Raw) > 0 {
			ev = append(ev, Evidence{Name: o.Camera + "-" + v.name + ".jpg", Camera: o.Camera, JPEG: o.Raw, At: o.At})
		}
		if len(o.Annotated) > 0 {
			ev = append(ev, Evidence{Name: o.Camera + "-" + v.name + "-annotated.jpg", Camera: o.Camera, JPEG: o.Annotated, At: o.At})
		}
		if !o.Judged {
			reasons = append(reasons, o.Reason)
			continue
		}
		alarm := o.Score >= o.Threshold
		if best < 0 || (alarm && outs[best].Score < outs[best].Threshold) ||
			(alarm == (outs[best].Score >= outs[best].Threshold) && o.Score > outs[best].Score) {
			best = i
		}
	}
	if best < 0 {
		return wire.VisionResult{Verdict: models.Unknown, Reason: strings.Join(reasons, "; ")}, ev
	}
	o := outs[best]
	score := o.Score
	r := wire.VisionResult{Verdict: models.OK, Score: &score, Threshold: o.Threshold, Camera: o.Camera, Scorer: o.Scorer, Model: o.Model, Regions: o.Regions, Kind: o.Kind}
	if o.Score >= o.Threshold {
		r.Verdict = models.Alarm
	}
	if len(reasons) > 0 {
		r.Reason = fmt.Sprintf("judged by camera %s; %s", o.Camera, strings.Join(reasons, "; "))
	}
	return r, ev
}

// alarmsSoFar are the checks in alarm in out (those judged before this one), in the checks'
// order, and what the passage lacks.
func alarmsSoFar(f *Facts, out *wire.Checks) []string {
	b, err := json.Marshal(out)
	var verdicts map[string]struct {
		Verdict models.Verdict `json:"verdict"`
	}
	if err == nil {
		err = json.Unmarshal(b, &verdicts)
	}
	var alarms []string
	if err == nil {
		for _, name := range Names() {
			if verdicts[name].Verdict == models.Alarm {
				alarms = append(alarms, name)
			}
		}
	}
	if f.Plate == nil {
		alarms = append(alarms, wire.AlarmNoPlate)
	}
	if !f.Stable {
		alarms = append(alarms, wire.AlarmNoWeight)
	}
	return alarms
}
