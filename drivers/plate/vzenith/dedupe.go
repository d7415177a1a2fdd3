package vzenith

// record tells one camera record from another: its plateid with the camera's timestamp, so
// that a plateid counter restarted by a reset camera is not taken for a resend.
type record struct {
	id        string
	sec, usec int64
}

// recent is a bounded set of the records last taken from one camera, oldest dropped first.
type recent struct {
	set  map[record]struct{}
	ring []record
	next int
}

// taken reports whether camera's record r was taken before.
func (d *Decoder) taken(camera string, r record) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.seen[camera]
	if s == nil {
		return false
	}
	_, ok := s.set[r]
	return ok
}

// remember adds r to camera's recent records.
func (d *Decoder) remember(camera string, r record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.seen[camera]
	if s == nil {
		s = &recent{set: map[record]struct{}{}}
		d.seen[camera] = s
	}
	if _, ok := s.set[r]; ok {
		return
	}
	if len(s.ring) < d.opts.Dedupe {
		s.ring = append(s.ring, r)
	} else {
		delete(s.set, s.ring[s.next])
		s.ring[s.next] = r
		s.next = (s.next + 1) % len(s.ring)
	}
	s.set[r] = struct{}{}
}
