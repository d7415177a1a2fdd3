package wire

import (
	"sitegate/models"
	"sitegate/models/manifest"
	"sitegate/models/overload"
	"sitegate/models/registry"
	"sitegate/models/wash"
)

// TimeLayout is how messages write times: RFC 3339 with milliseconds and the local offset.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Schema names of the messages.
const (
	PassageSchema           = "sitegate.passage/v1"
	StatusSchema            = "sitegate.status/v1"
	DropsSchema             = "sitegate.drops/v1"
	ConfigReportedSchema    = "sitegate.config_reported/v1"
	RegistryReportedSchema  = "sitegate.registry_reported/v1"
	ManifestsReportedSchema = "sitegate.manifests_reported/v1"
	ReplySchema             = "sitegate.reply/v1"
	DecisionSchema          = "sitegate.decision/v1"
)

// Passage is one truck's transit of one lane, as published on the passage topic (CONTRACT 6).
type Passage struct {
	Schema    string         `json:"schema"`
	ID        string         `json:"id"`
	Seq       uint64         `json:"seq"`
	Site      string         `json:"site"`
	Gateway   string         `json:"gateway"`
	Lane      string         `json:"lane"`
	Direction string         `json:"direction"`
	StartedAt string         `json:"started_at"`
	EndedAt   string         `json:"ended_at"`
	Plate     *PlateInfo     `json:"plate"`
	Weight    *WeightInfo    `json:"weight"`
	Vehicle   *VehicleInfo   `json:"vehicle"`
	Checks    Checks         `json:"checks"`
	Alarms    []string       `json:"alarms"`
	Evidence  []EvidenceInfo `json:"evidence"`
	// EndReason says why a passage ended other than by the truck leaving: "silence" (the
	// indicator was lost mid-visit) or "shutdown" (the agent stopped mid-visit).
	EndReason string `json:"end_reason,omitempty"`
	// Late marks a plate-only passage made from a camera's offline resend: its times are the
	// camera's, and it reaches the platform long after the truck left.
	Late bool `json:"late,omitempty"`
	// Barrier is what became of the exit barrier for this truck (CONTRACT 8); nil when the lane
	// has no barrier decision.
	Barrier *BarrierInfo `json:"barrier,omitempty"`
	// Revision counts amendments: 0 for the passage as first published; an amendment
	// (topic amendment) is the whole passage again, same id and seq, with Revision above 0.
	Revision int `json:"revision,omitempty"`
	// AmendReason says why an amendment was made.
	AmendReason string `json:"amend_reason,omitempty"`
	// Clock is ClockUnsynced when the passage was made while the gateway's clock was not
	// synchronised: its times may be anything (1970 after a boot without a clock battery).
	Clock string `json:"clock,omitempty"`
}

// ClockUnsynced marks a passage made before the gateway's clock was synchronised.
const ClockUnsynced = "unsynced"

// BarrierInfo is the barrier's part of a passage.
type BarrierInfo struct {
	Mode    string   `json:"mode"`   // advise | enforce
	Action  string   `json:"action"` // open | hold
	Reasons []string `json:"reasons"`
	// ReleasedBy and Reason name the guard who opened a held barrier (cmd/barrier), and why.
	ReleasedBy string `json:"released_by,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Error says why the barrier could not be opened (enforce mode: the truck is held).
	Error string `json:"error,omitempty"`
}

// PlateInfo is the plate of the visit: the read that won the vote over the visit's reads.
type PlateInfo struct {
	Text       string  `json:"text"`
	Color      string  `json:"color,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Time       string  `json:"time,omitempty"`
	// Camera and Vendor say which plate camera read it, in which format (CONTRACT 7).
	Camera string `json:"camera,omitempty"`
	Vendor string `json:"vendor,omitempty"`
	// Type is "double" for the double-layer yellow truck plate, "new-energy", or empty.
	Type string `json:"type,omitempty"`
	// Reads is how many reads of this text the vote counted.
	Reads int `json:"reads,omitempty"`
	// Alternatives are the other texts read during the visit, best first.
	Alternatives []PlateAlternative `json:"alternatives,omitempty"`
}

// PlateAlternative is a runner-up of a visit's plate vote.
type PlateAlternative struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence,omitempty"`
	Reads      int     `json:"reads"`
	Camera     string  `json:"camera,omitempty"`
}

// WeightInfo is the weighing. PeakKg is the highest reading of the visit.
type WeightInfo struct {
	GrossKg float64 `json:"gross_kg"`
	Stable  bool    `json:"stable"`
	PeakKg  float64 `json:"peak_kg,omitempty"`
}

// VehicleInfo is what the registry says of the plate.
type VehicleInfo struct {
	Registered  bool    `json:"registered"`
	Axles       int     `json:"axles,omitempty"`
	MaxGrossKg  float64 `json:"max_gross_kg,omitempty"`
	RatedLoadKg float64 `json:"rated_load_kg,omitempty"`
}

// Checks are the passage's judgements, one field a check (the check's name is its JSON key,
// and the name listed in alarms). A new check adds its field here and its unit under
// agent/checks.
type Checks struct {
	Overload overload.Result `json:"overload"`
	Registry registry.Result `json:"registry"`
	// Permit is the registered vehicle's permit (dates and hours) at the passage's start.
	Permit registry.Result `json:"permit"`
	Mud    VisionResult    `json:"mud"`
	// Manifest is the exit's e-manifest (CONTRACT 10); absent where the check does not apply
	// (an entry lane, manifests.check off, or auto with no manifests held).
	Manifest *manifest.Result `json:"manifest,omitempty"`
	// Wash is the truck's stay in the wash bay; absent on a lane that watches none.
	Wash *wash.Result `json:"wash,omitempty"`
}

// VisionResult is a camera check's judgement (mud today): the verdict of the camera that
// judged (the one in alarm, else the highest score), its score against its threshold, and each
// region's score.
type VisionResult struct {
	Verdict   models.Verdict `json:"verdict"`
	Score     *float64       `json:"score,omitempty"`
	Threshold float64        `json:"threshold,omitempty"`
	Camera    string         `json:"camera,omitempty"`
	Scorer    string         `json:"scorer,omitempty"`
	Regions   []RegionScore  `json:"regions,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

// RegionScore is one region's score.
type RegionScore struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// EvidenceInfo names an image published on evidence/{passage_id}/{name} before the passage.
type EvidenceInfo struct {
	Name   string `json:"name"`
	Camera string `json:"camera"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
	Time   string `json:"time,omitempty"`
}

// Alarms that are not checks: what a passage lacks.
const (
	AlarmNoPlate  = "no_plate"
	AlarmNoWeight = "no_weight"
)

// Decision is the exit barrier's decision for a truck (CONTRACT 8, topic decision).
type Decision struct {
	Schema  string     `json:"schema"` // sitegate.decision/v1
	Site    string     `json:"site"`
	Gateway string     `json:"gateway"`
	Lane    string     `json:"lane"`
	Mode    string     `json:"mode"` // advise | enforce
	Plate   *PlateInfo `json:"plate"`
	// WeightKg is the stable gross weight the decision was made with.
	WeightKg float64  `json:"weight_kg,omitempty"`
	Action   string   `json:"action"` // open | hold
	Reasons  []string `json:"reasons"`
	// Error says why the barrier could not be opened in enforce mode (the truck is held).
	Error string `json:"error,omitempty"`
	// ReleasedBy and Reason are set on the decision a guard's cmd/barrier makes.
	ReleasedBy string `json:"released_by,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Time       string `json:"time"`
}

// Barrier actions.
const (
	ActionOpen = "open"
	ActionHold = "hold"
)
