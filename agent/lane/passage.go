package lane

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"sitegate/models"
	"sitegate/models/overload"
	"sitegate/models/registry"
)

// TimeLayout is how passages write times: RFC 3339 with milliseconds and the local offset.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

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

// Checks are the passage's judgements.
type Checks struct {
	Overload overload.Result `json:"overload"`
	Registry registry.Result `json:"registry"`
	// Permit is the registered vehicle's permit (dates and hours) at the passage's start.
	Permit registry.Result `json:"permit"`
	Mud    MudResult       `json:"mud"`
}

// MudResult is the mud check: the verdict of the camera that judged (the one in alarm, else
// the highest score), its score against its threshold, and each region's score.
type MudResult struct {
	Verdict   models.Verdict `json:"verdict"`
	Score     *float64       `json:"score,omitempty"`
	Threshold float64        `json:"threshold,omitempty"`
	Camera    string         `json:"camera,omitempty"`
	Scorer    string         `json:"scorer,omitempty"`
	Regions   []MudRegion    `json:"regions,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

// EvidenceInfo names an image published on evidence/{passage_id}/{name} before the passage.
type EvidenceInfo struct {
	Name   string `json:"name"`
	Camera string `json:"camera"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
	Time   string `json:"time,omitempty"`
}

// judge turns a draft into a passage (without id and seq).
func judge(d draft, reg *registry.Registry, toleranceKg float64, loc *time.Location) Passage {
	p := Passage{
		Schema:    "sitegate.passage/v1",
		StartedAt: d.startedAt.In(loc).Format(TimeLayout),
		EndedAt:   d.endedAt.In(loc).Format(TimeLayout),
		EndReason: d.endReason,
		Alarms:    []string{},
		Evidence:  []EvidenceInfo{},
	}
	havePlate := d.plate != nil
	if havePlate {
		p.Plate = &PlateInfo{Text: d.plate.Plate, Color: d.plate.Color, Confidence: d.plate.Confidence}
		if !d.plate.Time.IsZero() {
			p.Plate.Time = d.plate.Time.In(loc).Format(TimeLayout)
		}
	}
	if d.stable {
		p.Weight = &WeightInfo{GrossKg: d.grossKg, Stable: true, PeakKg: d.peakKg}
	}
	plateText := ""
	if havePlate {
		plateText = d.plate.Plate
	}
	regRes, veh, registered := reg.Check(plateText, havePlate)
	p.Checks.Permit = registry.Result{Verdict: models.Unknown, Reason: regRes.Reason}
	if registered {
		p.Checks.Permit = registry.CheckPermit(veh, d.startedAt.In(loc))
	} else if regRes.Verdict == models.Alarm {
		p.Checks.Permit.Reason = "plate not in registry"
	}
	p.Checks.Registry = regRes
	if havePlate {
		p.Vehicle = &VehicleInfo{Registered: registered, Axles: veh.Axles, MaxGrossKg: veh.MaxGrossKg, RatedLoadKg: veh.RatedLoadKg}
	}
	p.Checks.Overload = overload.Check(d.grossKg, d.stable,
		overload.Vehicle{Registered: registered, Axles: veh.Axles, MaxGrossKg: veh.MaxGrossKg}, toleranceKg)
	if !d.weighed {
		p.Checks.Overload.Reason = "no weighing took place"
	}
	p.Checks.Mud = MudResult{Verdict: models.Unknown, Reason: "mud vision is not enabled on this lane"}
	if d.mud != nil {
		p.Checks.Mud = *d.mud
	}
	for _, c := range []struct {
		name string
		v    models.Verdict
	}{{"overload", p.Checks.Overload.Verdict}, {"registry", p.Checks.Registry.Verdict}, {"permit", p.Checks.Permit.Verdict}, {"mud", p.Checks.Mud.Verdict}} {
		if c.v == models.Alarm {
			p.Alarms = append(p.Alarms, c.name)
		}
	}
	if !havePlate {
		p.Alarms = append(p.Alarms, "no_plate")
	}
	if !d.stable {
		p.Alarms = append(p.Alarms, "no_weight")
	}
	for _, e := range d.evidence {
		sum := sha256.Sum256(e.JPEG)
		info := EvidenceInfo{Name: e.Name, Camera: e.Camera, Bytes: len(e.JPEG), SHA256: hex.EncodeToString(sum[:])}
		if !e.At.IsZero() {
			info.Time = e.At.In(loc).Format(TimeLayout)
		}
		p.Evidence = append(p.Evidence, info)
	}
	return p
}
