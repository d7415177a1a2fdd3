package lane

import (
	"container/list"
	"encoding/json"
	"slices"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
)

// MaxSeenReads bounds the camera read ids a lane remembers to drop resends of reads already
// taken (a camera's offline backlog is up to about 9,000, sometimes sent twice).
const MaxSeenReads = 20000

// seenReads is a bounded set of (camera, read id), oldest forgotten first.
type seenReads struct {
	order *list.List
	set   map[string]*list.Element
}

// seen reports whether r was taken already, and remembers it.
func (s *seenReads) seen(r plate.Read) bool {
	if r.Key == "" {
		return false
	}
	if s.set == nil {
		s.set, s.order = map[string]*list.Element{}, list.New()
	}
	k := r.Vendor + "/" + r.Camera + "/" + r.Key
	if _, ok := s.set[k]; ok {
		return true
	}
	s.set[k] = s.order.PushBack(k)
	if s.order.Len() > MaxSeenReads {
		old := s.order.Remove(s.order.Front()).(string)
		delete(s.set, old)
	}
	return false
}

// late is a plate-only passage from an offline resend: the camera's time, marked late.
func late(p plateIn) draft {
	at := p.read.Time
	if at.IsZero() {
		at = p.received
	}
	b := &ballot{}
	b.addRef(p.read, p.ref, p.pics)
	d := draft{startedAt: at, endedAt: at, ballot: b, late: true}
	d.vote()
	return d
}

// recent is a stored passage a plate read may still amend: its draft (without pictures) and
// what it was published as.
type recent struct {
	d draft
	p Passage
}

// ClockResolution is how coarse a camera's clock may be: several vendors stamp reads to the
// second, so a read stamped within this of a truck's departure may be the next truck's.
const ClockResolution = time.Second

// amend attaches a read that arrives after its truck left the deck to that truck's passage: a
// read whose own time (the camera's clock) is well within the visit, and which either gives a
// plate-less passage its plate (an amendment) or is the plate it has already (a late resend,
// absorbed). It returns false when the read belongs to no recent weighed passage.
func (l *Lane) amend(r plate.Read, now time.Time) bool {
	for i := len(l.recent) - 1; i >= 0; i-- {
		rc := &l.recent[i]
		if !rc.d.weighed || now.Sub(rc.d.endedAt) > l.o.PlateWindow {
			continue // a plate-only passage is its reads already: the same plate again is a new one
		}
		// Only a read made while the truck was there: the next truck's first read comes just
		// after the last one left, and a camera's clock is all there is to tell them apart.
		if r.Time.IsZero() || !r.Time.Before(rc.d.endedAt.Add(-ClockResolution)) || r.Time.Before(rc.d.startedAt.Add(-l.o.PlateWindow)) {
			continue
		}
		if rc.d.plate != nil {
			if rc.d.plate.Plate != r.Plate {
				continue
			}
			rc.d.ballot.add(r)
			return true // a late resend of the plate it has: nothing to amend
		}
		rc.d.ballot = newBallot(r)
		rc.d.vote()
		l.storeAmendment(rc)
		return true
	}
	return false
}

// storeAmendment judges the passage again with its new plate and stores it on the amendment
// topic: the same id and seq, the next revision. The camera checks keep what they judged.
func (l *Lane) storeAmendment(rc *recent) {
	d := rc.d
	d.evidence = nil
	p, _ := judge(d, l.o.Registry(), l.replayable(), l.o.Location)
	p.Checks.Mud = rc.p.Checks.Mud
	p.Alarms = l.mergeAlarms(p.Alarms, rc.p.Alarms)
	p.ID, p.Seq, p.Site, p.Gateway, p.Lane, p.Direction = rc.p.ID, rc.p.Seq, rc.p.Site, rc.p.Gateway, rc.p.Lane, rc.p.Direction
	p.Evidence, p.Barrier = rc.p.Evidence, rc.p.Barrier
	p.Revision, p.AmendReason = rc.p.Revision+1, "plate read after the truck left"
	p.PrevSeq, p.PrevSHA256 = rc.p.PrevSeq, rc.p.PrevSHA256
	var body []byte
	var err error
	if l.o.Sealer != nil {
		body, err = l.o.Sealer.Sign(&p)
	} else {
		body, err = json.Marshal(p)
	}
	if err == nil {
		_, err = l.o.Box.Append(outbox.Message{Topic: wire.Topics(l.o.Site, l.o.Gateway).Amendment(), Payload: body, QoS: 1,
			Kind: outbox.KindPassage, Ref: p.ID})
	}
	if err != nil {
		l.log.Error("amendment not stored", "id", p.ID, "err", err)
		return
	}
	rc.p = p
	l.amendments.Add(1)
	if l.o.Archive != nil {
		l.o.Archive(p, body, nil)
	}
	l.log.Info("passage amended", "seq", p.Seq, "id", p.ID, "plate", plateText(p), "alarms", p.Alarms)
}

// replayable are the checks that can be judged again after the truck left: not the camera
// checks, whose frames are gone.
func (l *Lane) replayable() []checks.Check {
	var out []checks.Check
	for _, c := range l.o.Checks {
		if _, camera := c.(checks.Presence); !camera {
			out = append(out, c)
		}
	}
	return out
}

// mergeAlarms lists the alarms of an amended passage in the checks' order: the camera checks'
// from the passage as first judged, the others' from the new judgement, then what it lacks.
func (l *Lane) mergeAlarms(fresh, old []string) []string {
	out := []string{}
	for _, c := range l.o.Checks {
		src := fresh
		if _, camera := c.(checks.Presence); camera {
			src = old
		}
		if slices.Contains(src, c.Name()) {
			out = append(out, c.Name())
		}
	}
	for _, a := range []string{wire.AlarmNoPlate, wire.AlarmNoWeight} {
		if slices.Contains(fresh, a) {
			out = append(out, a)
		}
	}
	return out
}

// remember keeps a stored passage for amendments, forgetting those past the plate window.
func (l *Lane) remember(d draft, p Passage, now time.Time) {
	kept := l.recent[:0]
	for _, rc := range l.recent {
		if now.Sub(rc.d.endedAt) <= l.o.PlateWindow {
			kept = append(kept, rc)
		}
	}
	d.evidence = nil
	l.recent = append(kept, recent{d: d, p: p})
}
