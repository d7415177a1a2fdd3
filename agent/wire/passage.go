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
	EvidenceChunkSchema     = "sitegate.evidence_chunk/v1"
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
	// PrevSeq and PrevSHA256 chain the gateway's passages (docs/evidence.md): the seq and the
	// SHA-256 of the canonical form of the passage this gateway stored before this one; empty
	// for a gateway's first passage. A removed passage shows as a broken link.
	PrevSeq    uint64 `json:"prev_seq,omitempty"`
	PrevSHA256 string `json:"prev_sha256,omitempty"`
	// Signature is the gateway's ed25519 signature of the passage's canonical form (the
	// passage without this field, RFC 8785); nil on a gateway that does not sign.
	Signature *Signature `json:"signature,omitempty"`
}

// Signature is a passage's seal: the algorithm, the gateway's public key and the signature,
// both base64 (standard, padded).
type Signature struct {
	Alg   string `json:"alg"` // ed25519
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SignatureAlg is the one signature algorithm passages use.
const SignatureAlg = "ed25519"

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
	// Cover is whether the load is covered (agent/checks/cover), with the kind found; unknown
	// with the reason on a lane whose cameras have no cover block.
	Cover *VisionResult `json:"cover,omitempty"`
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
	// Model is the version of the model that judged: "{scorer}/shipped", or the camera's
	// learned model ("{scorer}/{camera}-v{N}", sitegate learn mud).
	Model   string        `json:"model,omitempty"`
	Regions []RegionScore `json:"regions,omitempty"`
	Reason  string        `json:"reason,omitempty"`
	// Kind is what a check of several kinds found in the judged frame: the cover check's
	// covered, open, torn or heaped; absent for mud.
	Kind string `json:"kind,omitempty"`
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
	// Kind is EvidenceClip for a video clip; empty for an image.
	Kind string `json:"kind,omitempty"`
	// Also are other names the passage gave the same bytes (an annotated frame identical to a
	// snapshot): they are neither listed again nor published again.
	Also []string `json:"also,omitempty"`
	// OnRequest marks a file kept in the gateway's archive and not published with the passage
	// (a clip under clip.upload on_request or alarms): cmd/evidence fetches it.
	OnRequest bool `json:"on_request,omitempty"`
}

// EvidenceClip is the Kind of a video clip.
const EvidenceClip = "clip"

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

// EvidenceChunk is one piece of an archived file sent on a cmd/evidence request (topic
// evidence_chunk/{passage_id}/{name}): Total chunks of at most the requested size, Index from
// 0, each with the whole file's SHA-256, so the receiver can put it together and check it.
type EvidenceChunk struct {
	Schema    string `json:"schema"` // sitegate.evidence_chunk/v1
	Request   string `json:"request_id"`
	PassageID string `json:"passage_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind,omitempty"` // clip, passage, or "" for an image
	Index     int    `json:"index"`
	Total     int    `json:"total"`
	Offset    int64  `json:"offset"`
	FileBytes int64  `json:"file_bytes"`
	SHA256    string `json:"sha256"` // of the whole file
	Data      []byte `json:"data_base64"`
}
