package wire

import (
	"sitegate/models"
	"sitegate/models/overload"
	"sitegate/models/registry"
)

// TimeLayout is how messages write times: RFC 3339 with milliseconds and the local offset.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Schema names of the messages.
const (
	PassageSchema          = "sitegate.passage/v1"
	StatusSchema           = "sitegate.status/v1"
	DropsSchema            = "sitegate.drops/v1"
	ConfigReportedSchema   = "sitegate.config_reported/v1"
	RegistryReportedSchema = "sitegate.registry_reported/v1"
	ReplySchema            = "sitegate.reply/v1"
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
}

// PlateInfo is the plate camera's read.
type PlateInfo struct {
	Text       string  `json:"text"`
	Color      string  `json:"color,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Time       string  `json:"time,omitempty"`
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
