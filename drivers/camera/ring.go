package camera

import "time"

// accessUnit is one coded picture as it came off the wire: its NAL units (without start codes),
// its presentation time on the stream's 90 kHz clock and when it arrived.
type accessUnit struct {
	at    time.Time
	pts   int64
	key   bool // an IDR (H.264) or IRAP (H.265) picture: decoding can start here
	nalus [][]byte
	size  int
	gap   bool // pictures before this one were lost on the way to the decoder
}

// packetRing keeps a camera's latest coded pictures, always starting at a key frame, so that a
// current frame can be decoded at any moment from the last key frame, and a clip written of the
// last seconds without re-encoding. It drops whole groups of pictures, oldest first, once the
// next group starts more than keep ago or the ring holds more than maxBytes.
type packetRing struct {
	keep     time.Duration
	maxBytes int
	aus      []accessUnit
	bytes    int
	dropped  uint64 // pictures dropped because none before them was a key frame
}

// add appends au and trims the ring; pictures before the first key frame are useless and dropped.
func (r *packetRing) add(au accessUnit) {
	if len(r.aus) == 0 && !au.key {
		r.dropped++
		return
	}
	r.aus = append(r.aus, au)
	r.bytes += au.size
	r.trim(au.at)
}

func (r *packetRing) trim(now time.Time) {
	for {
		next := -1
		for i := 1; i < len(r.aus); i++ {
			if r.aus[i].key {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		if !r.aus[next].at.Before(now.Add(-r.keep)) && (r.maxBytes <= 0 || r.bytes <= r.maxBytes) {
			break
		}
		for _, au := range r.aus[:next] {
			r.bytes -= au.size
		}
		// Copy down so the backing array does not grow without bound.
		n := copy(r.aus, r.aus[next:])
		clear(r.aus[n:])
		r.aus = r.aus[:n]
	}
}

// lastGOP is the pictures from the last key frame to the newest (shared, not to be modified).
func (r *packetRing) lastGOP() []accessUnit {
	for i := len(r.aus) - 1; i >= 0; i-- {
		if r.aus[i].key {
			return append([]accessUnit(nil), r.aus[i:]...)
		}
	}
	return nil
}

// since is the pictures from the last key frame at or before from to the newest.
func (r *packetRing) since(from time.Time) []accessUnit {
	start := 0
	for i, au := range r.aus {
		if au.key && !au.at.After(from) {
			start = i
		}
	}
	return append([]accessUnit(nil), r.aus[start:]...)
}

func (r *packetRing) reset() { r.aus, r.bytes = nil, 0 }
