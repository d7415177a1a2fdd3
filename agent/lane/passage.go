package lane

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/models/registry"
)

// Passage is the message a lane stores for each truck (wire.Passage).
type Passage = wire.Passage

// TimeLayout is how passages write times.
const TimeLayout = wire.TimeLayout

// judge turns a draft into a passage (without id and seq): the facts every check reads, then
// each check in order. It returns the passage's evidence: the draft's and what checks added.
func judge(d draft, reg *registry.Registry, cs []checks.Check, loc *time.Location) (Passage, []Evidence) {
	p, ev, _ := judgeFacts(d, reg, cs, loc)
	return p, ev
}

// judgeFacts is judge that also returns the facts the checks saw (Waiting, for a provisional
// draft).
func judgeFacts(d draft, reg *registry.Registry, cs []checks.Check, loc *time.Location) (Passage, []Evidence, *checks.Facts) {
	p := Passage{
		Schema:    wire.PassageSchema,
		StartedAt: d.startedAt.In(loc).Format(TimeLayout),
		EndedAt:   d.endedAt.In(loc).Format(TimeLayout),
		EndReason: d.endReason,
		Evidence:  []wire.EvidenceInfo{},
	}
	f := &checks.Facts{PassageID: d.id, StartedAt: d.startedAt, EndedAt: d.endedAt, Location: loc, Plate: d.plate,
		Weighed: d.weighed, Stable: d.stable, GrossKg: d.grossKg, PeakKg: d.peakKg, Provisional: d.provisional}
	havePlate := d.plate != nil
	f.Lookup, f.Vehicle, f.Registered = reg.Check(f.PlateText(), havePlate)
	p.Late, p.Barrier = d.late, d.barrier
	if havePlate {
		p.Plate = plateInfo(d.plate, loc)
		p.Plate.Reads, p.Plate.Alternatives = d.votes, d.alternatives
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
	evidence := append(d.evidence[:len(d.evidence):len(d.evidence)], plateEvidence(d)...)
	evidence = append(evidence, f.Evidence()...)
	return p, listEvidence(&p, evidence, loc), f
}

// listEvidence lists each distinct file of evidence in p.Evidence once, in order: a file whose
// bytes are those of an earlier one (the judged frame and the snapshot of a still scene) is
// not listed again but named in the earlier one's also. It returns the distinct files.
func listEvidence(p *Passage, evidence []Evidence, loc *time.Location) []Evidence {
	byHash := map[string]int{}
	var files []Evidence
	for _, e := range evidence {
		sum := sha256.Sum256(e.JPEG)
		h := hex.EncodeToString(sum[:])
		if i, ok := byHash[h]; ok {
			if first := &p.Evidence[i]; e.Name != first.Name && !slices.Contains(first.Also, e.Name) {
				first.Also = append(first.Also, e.Name)
			}
			continue
		}
		info := wire.EvidenceInfo{Name: e.Name, Camera: e.Camera, Bytes: len(e.JPEG), SHA256: h, Kind: e.Kind,
			OnRequest: !e.Published(p.Alarms)}
		if !e.At.IsZero() {
			info.Time = e.At.In(loc).Format(TimeLayout)
		}
		byHash[h] = len(p.Evidence)
		p.Evidence = append(p.Evidence, info)
		files = append(files, e)
	}
	return files
}

// plateInfo is a read as a passage or a decision names it.
func plateInfo(r *plate.Read, loc *time.Location) *wire.PlateInfo {
	pi := &wire.PlateInfo{Text: r.Plate, Color: r.Color, Confidence: r.Confidence, Camera: r.Camera, Type: r.Type}
	if r.Vendor != plate.Generic {
		pi.Vendor = r.Vendor
	}
	if !r.Time.IsZero() {
		pi.Time = r.Time.In(loc).Format(TimeLayout)
	}
	return pi
}

// plateEvidence are the winning read's pictures: plate.jpg, and the camera's scene as
// {camera}-scene.jpg, unless the draft has images of those names already.
func plateEvidence(d draft) []Evidence {
	if d.plate == nil {
		return nil
	}
	has := func(name string) bool {
		for _, e := range d.evidence {
			if e.Name == name {
				return true
			}
		}
		return false
	}
	var out []Evidence
	at := d.plate.Time
	if len(d.plate.ImageJPEG) > 0 && !has("plate.jpg") {
		out = append(out, Evidence{Name: "plate.jpg", Camera: cameraName(d.plate), JPEG: d.plate.ImageJPEG, At: at})
	}
	if len(d.plate.SceneJPEG) > 0 {
		name := cameraName(d.plate) + "-scene.jpg"
		if !has(name) {
			out = append(out, Evidence{Name: name, Camera: cameraName(d.plate), JPEG: d.plate.SceneJPEG, At: at})
		}
	}
	return out
}

// cameraName is the plate camera's id, or "plate" when the read does not say.
func cameraName(r *plate.Read) string {
	if r.Camera != "" {
		return r.Camera
	}
	return "plate"
}
