package lane

import (
	"time"

	"sitegate/agent/checks"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
)

// Evidence is one image taken for a passage.
type Evidence = checks.Evidence

// draft is a finished passage before it is judged.
type draft struct {
	startedAt, endedAt time.Time
	plate              *plate.Read
	stable             bool
	grossKg, peakKg    float64
	weighed            bool // a weighing took place (deck visit), stable or not
	evidence           []Evidence
	endReason          string // "" when the truck left normally
}

type pendingPlate struct {
	read     plate.Read
	received time.Time
	evidence []Evidence
}

type visit struct {
	start    time.Time
	plate    *plate.Read
	evidence []Evidence
	stable   bool
	grossKg  float64
}

// assembler pairs plates with deck visits. It is pure: callers give it the time and the
// evidence they took, so every rule is tested with exact timings.
type assembler struct {
	plateWindow, plateOnlyTimeout time.Duration
	pending                       []pendingPlate
	visit                         *visit
}

// onPlate takes a plate read received at now.
func (a *assembler) onPlate(r plate.Read, now time.Time, ev []Evidence) {
	if v := a.visit; v != nil {
		if v.plate == nil {
			v.plate = &r
			v.evidence = append(v.evidence, ev...)
			return
		}
		if v.plate.Plate == r.Plate {
			mergeRead(v.plate, r)
			return
		}
	}
	for i := range a.pending {
		if p := &a.pending[i]; p.read.Plate == r.Plate {
			mergeRead(&p.read, r) // the camera pushed the same truck again
			return
		}
	}
	a.pending = append(a.pending, pendingPlate{read: r, received: now, evidence: ev})
}

// mergeRead folds a repeated read of the same plate into the first: best confidence, and an
// image if the first had none.
func mergeRead(into *plate.Read, r plate.Read) {
	if r.Confidence > into.Confidence {
		into.Confidence = r.Confidence
		if r.Color != "" {
			into.Color = r.Color
		}
	}
	if len(into.ImageJPEG) == 0 {
		into.ImageJPEG = r.ImageJPEG
	}
}

// onDeck takes a deck event; ev is the evidence taken at that moment (Arrived, Stable).
func (a *assembler) onDeck(e deck.Event, ev []Evidence) []draft {
	switch e.Kind {
	case deck.Arrived:
		v := &visit{start: e.At, evidence: ev}
		// The latest plate read within the window before the arrival belongs to this truck.
		best := -1
		for i, p := range a.pending {
			if !p.received.Before(e.At.Add(-a.plateWindow)) && (best < 0 || p.received.After(a.pending[best].received)) {
				best = i
			}
		}
		if best >= 0 {
			p := a.pending[best]
			v.plate = &p.read
			v.evidence = append(v.evidence, p.evidence...)
			a.pending = append(a.pending[:best], a.pending[best+1:]...)
		}
		a.visit = v
	case deck.Stable:
		if v := a.visit; v != nil {
			v.stable, v.grossKg = true, e.GrossKg
			if len(ev) > 0 { // frames at the moment of weighing are the best evidence
				v.evidence = replaceEvidence(v.evidence, ev)
			}
		}
	case deck.Departed:
		v := a.visit
		if v == nil {
			return nil
		}
		a.visit = nil
		return []draft{{
			startedAt: v.start, endedAt: e.At, plate: v.plate, weighed: true,
			stable: v.stable, grossKg: v.grossKg, peakKg: e.PeakKg, evidence: v.evidence, endReason: e.Reason,
		}}
	}
	return nil
}

// replaceEvidence swaps older images for newer ones of the same name.
func replaceEvidence(old, newer []Evidence) []Evidence {
	out := append([]Evidence(nil), newer...)
	for _, o := range old {
		dup := false
		for _, n := range newer {
			dup = dup || n.Name == o.Name
		}
		if !dup {
			out = append(out, o)
		}
	}
	return out
}

// onTick turns plates that waited longer than plateOnlyTimeout into plate-only passages.
func (a *assembler) onTick(now time.Time) []draft {
	var out []draft
	kept := a.pending[:0]
	for _, p := range a.pending {
		if now.Sub(p.received) >= a.plateOnlyTimeout {
			out = append(out, plateOnly(p, now, ""))
			continue
		}
		kept = append(kept, p)
	}
	a.pending = kept
	return out
}

// flush ends everything in progress, for a shutdown.
func (a *assembler) flush(now time.Time) []draft {
	var out []draft
	if v := a.visit; v != nil {
		out = append(out, draft{startedAt: v.start, endedAt: now, plate: v.plate, weighed: true,
			stable: v.stable, grossKg: v.grossKg, evidence: v.evidence, endReason: "shutdown"})
		a.visit = nil
	}
	for _, p := range a.pending {
		out = append(out, plateOnly(p, now, "shutdown"))
	}
	a.pending = nil
	return out
}

func plateOnly(p pendingPlate, now time.Time, reason string) draft {
	r := p.read
	return draft{startedAt: p.received, endedAt: now, plate: &r, evidence: p.evidence, endReason: reason}
}
