package lane

import (
	"fmt"
	"strings"
	"time"

	"sitegate/models"
)

// MudWatcher is a camera's mud check running beside the lane (agent/mudwatch). The lane only
// tells it when a truck is present and takes its result when a passage is stored; neither call
// may wait for an analysis.
type MudWatcher interface {
	SetActive(on bool)
	Take(c MudCaption) MudOutcome
}

// MudCaption is what the annotated evidence image says of the passage.
type MudCaption struct {
	Plate    string
	WeightKg float64 // 0: no stable weight
}

// MudOutcome is one camera's mud judgement of a passage.
type MudOutcome struct {
	Camera    string
	Scorer    string
	Judged    bool // false: Reason says why not
	Score     float64
	Threshold float64
	Regions   []MudRegion
	Reason    string
	At        time.Time // when the judged frame was taken
	// Raw and Annotated are the judged frame as JPEGs, without and with the regions, scores,
	// plate, weight and time drawn on it.
	Raw, Annotated []byte
}

// MudRegion is one region's score.
type MudRegion struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// takeMud collects every mud camera's outcome into the passage's check and its evidence.
func (l *Lane) takeMud(d draft) (*MudResult, []Evidence) {
	c := MudCaption{}
	if d.plate != nil {
		c.Plate = d.plate.Plate
	}
	if d.stable {
		c.WeightKg = d.grossKg
	}
	var outs []MudOutcome
	for _, cam := range l.o.Cameras {
		if cam.Mud != nil {
			outs = append(outs, cam.Mud.Take(c))
		}
	}
	if len(outs) == 0 {
		return nil, nil
	}
	res, ev := mudResult(outs)
	return &res, ev
}

// mudResult judges a passage from its cameras' outcomes: alarm if any judged camera is at or
// above its threshold; the reported score is the highest; unknown when no camera could judge.
func mudResult(outs []MudOutcome) (MudResult, []Evidence) {
	var ev []Evidence
	var reasons []string
	best := -1
	for i, o := range outs {
		if len(o.Raw) > 0 {
			ev = append(ev, Evidence{Name: o.Camera + "-mud.jpg", Camera: o.Camera, JPEG: o.Raw, At: o.At})
		}
		if len(o.Annotated) > 0 {
			ev = append(ev, Evidence{Name: o.Camera + "-mud-annotated.jpg", Camera: o.Camera, JPEG: o.Annotated, At: o.At})
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
		return MudResult{Verdict: models.Unknown, Reason: strings.Join(reasons, "; ")}, ev
	}
	o := outs[best]
	score := o.Score
	r := MudResult{Verdict: models.OK, Score: &score, Threshold: o.Threshold, Camera: o.Camera, Scorer: o.Scorer, Regions: o.Regions}
	if o.Score >= o.Threshold {
		r.Verdict = models.Alarm
	}
	if len(reasons) > 0 {
		r.Reason = fmt.Sprintf("judged by camera %s; %s", o.Camera, strings.Join(reasons, "; "))
	}
	return r, ev
}

// setMudActive tells the mud cameras whether a truck is in the lane.
func (l *Lane) setMudActive(on bool) {
	for _, cam := range l.o.Cameras {
		if cam.Mud != nil {
			cam.Mud.SetActive(on)
		}
	}
}
