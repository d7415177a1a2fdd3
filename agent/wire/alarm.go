package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AlarmSchema names the alarm payload.
const AlarmSchema = "sitegate.alarm/v1"

// States of an equipment alarm.
const (
	AlarmOpen   = "open"
	AlarmClosed = "closed"
)

// Kinds of equipment alarm.
const (
	AlarmCameraBlind = "camera_blind"
	// AlarmCameraDown: a camera's stream cannot be opened or read.
	AlarmCameraDown = "camera_down"
	// AlarmIndicatorDown: the weighbridge indicator's serial port is down (unplugged, failed).
	AlarmIndicatorDown = "indicator_down"
	// AlarmIndicatorSilent: the port is open but no valid reading came for the silence timeout.
	AlarmIndicatorSilent = "indicator_silent"
	// AlarmPlateCameraDown: a pulled plate camera's event stream is down.
	AlarmPlateCameraDown = "plate_camera_down"
	// AlarmPlateCameraSilent: several weighed trucks in a row left with no plate read.
	AlarmPlateCameraSilent = "plate_camera_silent"
	// AlarmWashDown: the wash controller's input cannot be read.
	AlarmWashDown = "wash_controller_down"
)

// Alarm is an equipment alarm (topic alarm): a condition of one device that opened, once per
// episode, and closed when it went away. The closed message repeats the open one's id and since.
type Alarm struct {
	Schema string `json:"schema"`
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Device string `json:"device"`
	Lane   string `json:"lane,omitempty"`
	State  string `json:"state"`
	Since  string `json:"since"` // when the condition began
	// Time is when this message was made: the open time, or the close time.
	Time   string `json:"time,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ReviewSchema names the review payload (CONTRACT 9).
const ReviewSchema = "sitegate.review/v1"

// Review is a person's verdict on a passage's check (topic review, in).
type Review struct {
	Schema    string `json:"schema"`
	PassageID string `json:"passage_id"`
	Check     string `json:"check"`
	Label     string `json:"label"`
	By        string `json:"by"`
}

// reviewLabels are the labels a review may give, by check.
var reviewLabels = map[string][]string{"mud": {"clean", "muddy"}, "cover": {"covered", "uncovered", "open", "torn", "heaped"}}

// maxReview bounds a review payload.
const maxReview = 4096

// ParseReview reads a review payload and checks every field, naming each mistake.
func ParseReview(b []byte) (Review, error) {
	if len(b) > maxReview {
		return Review{}, fmt.Errorf("review: %d bytes, at most %d", len(b), maxReview)
	}
	var r Review
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Review{}, fmt.Errorf("review: %w", err)
	}
	if dec.More() {
		return Review{}, errors.New("review: data after the object")
	}
	var errs []error
	if r.Schema != ReviewSchema {
		errs = append(errs, fmt.Errorf("review.schema: %q, want %q", r.Schema, ReviewSchema))
	}
	if !validID(r.PassageID) {
		errs = append(errs, fmt.Errorf("review.passage_id: %q is not a passage id", r.PassageID))
	}
	labels, ok := reviewLabels[r.Check]
	switch {
	case !ok:
		errs = append(errs, fmt.Errorf("review.check: %q is not a reviewed check (mud, cover)", r.Check))
	case !contains(labels, r.Label):
		errs = append(errs, fmt.Errorf("review.label: %q is not one of %s", r.Label, strings.Join(labels, ", ")))
	}
	if !utf8.ValidString(r.By) || len(r.By) > 200 {
		errs = append(errs, errors.New("review.by: not text of at most 200 bytes"))
	}
	if err := errors.Join(errs...); err != nil {
		return Review{}, err
	}
	return r, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// validID reports whether s can name a passage (and a folder): 1 to 64 letters, digits and
// dashes.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
