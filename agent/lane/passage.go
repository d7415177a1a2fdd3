package lane

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/models/registry"
)

// Passage is the message a lane stores for each truck (wire.Passage).
type Passage = wire.Passage

// TimeLayout is how passages write times.
const TimeLayout = wire.TimeLayout

// judge turns a draft into a passage (without id and seq): the facts every check reads, then
// each check in order. It returns the passage's evidence: the draft's and what checks added.
func judge(d draft, reg *registry.Registry, cs []checks.Check, loc *time.Location) (Passage, []Evidence) {
	p := Passage{
		Schema:    wire.PassageSchema,
		StartedAt: d.startedAt.In(loc).Format(TimeLayout),
		EndedAt:   d.endedAt.In(loc).Format(TimeLayout),
		EndReason: d.endReason,
		Evidence:  []wire.EvidenceInfo{},
	}
	f := &checks.Facts{StartedAt: d.startedAt, EndedAt: d.endedAt, Location: loc, Plate: d.plate,
		Weighed: d.weighed, Stable: d.stable, GrossKg: d.grossKg, PeakKg: d.peakKg}
	havePlate := d.plate != nil
	f.Lookup, f.Vehicle, f.Registered = reg.Check(f.PlateText(), havePlate)
	if havePlate {
		p.Plate = &wire.PlateInfo{Text: d.plate.Plate, Color: d.plate.Color, Confidence: d.plate.Confidence}
		if !d.plate.Time.IsZero() {
			p.Plate.Time = d.plate.Time.In(loc).Format(TimeLayout)
		}
		p.Vehicle = &wire.VehicleInfo{Registered: f.Registered, Axles: f.Vehicle.Axles, MaxGrossKg: f.Vehicle.MaxGrossKg, RatedLoadKg: f.Vehicle.RatedLoadKg}
	}
	if d.stable {
		p.Weight = &wire.WeightInfo{GrossKg: d.grossKg, Stable: true, PeakKg: d.peakKg}
	}
	p.Alarms = checks.Run(cs, f, &p.Checks)
	if !havePlate {
		p.Alarms = append(p.Alarms, wire.AlarmNoPlate)
	}
	if !d.stable {
		p.Alarms = append(p.Alarms, wire.AlarmNoWeight)
	}
	evidence := append(d.evidence[:len(d.evidence):len(d.evidence)], f.Evidence()...)
	for _, e := range evidence {
		sum := sha256.Sum256(e.JPEG)
		info := wire.EvidenceInfo{Name: e.Name, Camera: e.Camera, Bytes: len(e.JPEG), SHA256: hex.EncodeToString(sum[:])}
		if !e.At.IsZero() {
			info.Time = e.At.In(loc).Format(TimeLayout)
		}
		p.Evidence = append(p.Evidence, info)
	}
	return p, evidence
}
