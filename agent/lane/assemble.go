package lane

import (
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
)

// Evidence is one image taken for a passage.
type Evidence = checks.Evidence

// draft is a finished passage before it is judged.
type draft struct {
	// id is the passage's id when it is known before judging (a stored passage), so the
	// checks can file what they judged under it; "" otherwise.
	id                 string
	startedAt, endedAt time.Time
	plate              *plate.Read
	stable             bool
	grossKg, peakKg    float64
	weighed            bool // a weighing took place (deck visit), stable or not
	evidence           []Evidence
	endReason          string // "" when the truck left normally
	// The plate's vote: how many reads the winner had, the runners-up, every read.
	votes        int
	alternatives []wire.PlateAlternative
	ballot       *ballot
	late         bool              // an offline resend
	provisional  bool              // the truck is still on the deck (the barrier's decision)
	barrier      *wire.BarrierInfo // the exit barrier's decision
}

type pendingPlate struct {
	ballot   *ballot
	received time.Time // of its first read
	evidence []Evidence
}

type visit struct {
	start    time.Time
	ballot   *ballot // nil: no plate read yet
	evidence []Evidence
	stable   bool
	grossKg  float64
	stableAt time.Time
	barrier  *wire.BarrierInfo // the barrier's decision, once made
	deciding bool              // an open is in progress
}

// plate is the visit's plate so far, or nil.
func (v *visit) plate() *plate.Read {
	if v.ballot == nil {
		return nil
	}
	r, _, _ := v.ballot.winner()
	return &r
}

// assembler pairs plates with deck visits. It is pure: callers give it the time and the
// evidence they took, so every rule is tested with exact timings.
type assembler struct {
	plateWindow, plateOnlyTimeout time.Duration
	pending                       []pendingPlate
	visit                         *visit
}

// onPlate takes a plate read received at now: it votes for the truck on the deck when it may
// be a read of that truck (its text or one edit away), else for a waiting truck with the same
// text, else it waits for its own truck.
func (a *assembler) onPlate(r plate.Read, now time.Time, ev []Evidence) {
	a.onPlateRef(r, 0, pictures{}, now, ev)
}

// onPlateRef is onPlate for a read kept in the journal under ref, with the pictures p there.
func (a *assembler) onPlateRef(r plate.Read, ref uint64, p pictures, now time.Time, ev []Evidence) {
	if v := a.visit; v != nil {
		if v.ballot == nil {
			v.ballot = &ballot{}
			v.ballot.addRef(r, ref, p)
			v.evidence = append(v.evidence, ev...)
			return
		}
		if cur := v.plate(); sameTruck(cur.Plate, r.Plate) {
			v.ballot.addRef(r, ref, p)
			return
		}
	}
	// A waiting read is another truck's unless it is the same text: trucks queue at a gate, and
	// two of a fleet can be a character apart; only on the deck is a near text a misread.
	for i := range a.pending {
		pp := &a.pending[i]
		if w, _, _ := pp.ballot.winner(); w.Plate == r.Plate {
			pp.ballot.addRef(r, ref, p) // the camera pushed the same truck again, or another camera read it
			return
		}
	}
	b := &ballot{}
	b.addRef(r, ref, p)
	a.pending = append(a.pending, pendingPlate{ballot: b, received: now, evidence: ev})
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
			v.ballot = p.ballot
			v.evidence = append(v.evidence, p.evidence...)
			a.pending = append(a.pending[:best], a.pending[best+1:]...)
		}
		a.visit = v
	case deck.Stable:
		if v := a.visit; v != nil {
			v.stable, v.grossKg, v.stableAt = true, e.GrossKg, e.At
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
		return []draft{v.draft(e.At, e.PeakKg, e.Reason)}
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
		out = append(out, v.draft(now, 0, "shutdown"))
		a.visit = nil
	}
	for _, p := range a.pending {
		out = append(out, plateOnly(p, now, "shutdown"))
	}
	a.pending = nil
	return out
}

func plateOnly(p pendingPlate, now time.Time, reason string) draft {
	d := draft{startedAt: p.received, endedAt: now, evidence: p.evidence, endReason: reason, ballot: p.ballot}
	d.vote()
	return d
}

// draft ends the visit at end.
func (v *visit) draft(end time.Time, peakKg float64, reason string) draft {
	d := draft{startedAt: v.start, endedAt: end, weighed: true, stable: v.stable, grossKg: v.grossKg, peakKg: peakKg,
		evidence: v.evidence, endReason: reason, ballot: v.ballot, barrier: v.barrier}
	d.vote()
	return d
}

// vote sets the draft's plate from its ballot.
func (d *draft) vote() {
	if d.ballot == nil {
		return
	}
	w, n, alts := d.ballot.winner()
	d.plate, d.votes, d.alternatives = &w, n, alts
}
