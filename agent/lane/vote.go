package lane

import (
	"sort"

	"sitegate/agent/wire"
	"sitegate/drivers/plate"
)

// ballot is every plate read of one truck: cameras send 2-5 reads a vehicle, sometimes from two
// cameras, with different confidences and now and then a misread character. The plate of the
// visit is the text with the most weight (the sum of its reads' confidences); the others are
// kept as alternatives.
type ballot struct {
	reads []plate.Read
	// refs are the reads' journal entries (0: none), and pics whether each had a plate and a
	// scene picture, which the journal keeps while the read waits (not memory).
	refs []uint64
	pics []pictures
}

type pictures struct{ plate, scene bool }

// noConfidence is the weight of a read whose camera gives no confidence.
const noConfidence = 0.5

func newBallot(r plate.Read) *ballot { b := &ballot{}; b.addRef(r, 0, pictures{}); return b }

func (b *ballot) add(r plate.Read) { b.addRef(r, 0, pictures{}) }

// addRef adds a read whose pictures, when it had them (p), are in the journal under ref.
func (b *ballot) addRef(r plate.Read, ref uint64, p pictures) {
	b.reads = append(b.reads, r)
	b.refs = append(b.refs, ref)
	b.pics = append(b.pics, p)
}

// journalled are the ballot's journal entries.
func (b *ballot) journalled() []uint64 {
	if b == nil {
		return nil
	}
	return b.refs
}

// pictureRefs are the journal entries holding the first plate and scene pictures of text.
func (b *ballot) pictureRefs(text string) (plateRef, sceneRef uint64) {
	for i, r := range b.reads {
		if r.Plate != text || b.refs[i] == 0 {
			continue
		}
		if plateRef == 0 && b.pics[i].plate {
			plateRef = b.refs[i]
		}
		if sceneRef == 0 && b.pics[i].scene {
			sceneRef = b.refs[i]
		}
	}
	return plateRef, sceneRef
}

type tally struct {
	text   string
	weight float64
	n      int
	best   int // index of the read of this text with the highest confidence
}

func (b *ballot) tallies() []tally {
	var ts []tally
	idx := map[string]int{}
	for i, r := range b.reads {
		w := r.Confidence
		if w <= 0 {
			w = noConfidence
		}
		j, ok := idx[r.Plate]
		if !ok {
			j = len(ts)
			idx[r.Plate] = j
			ts = append(ts, tally{text: r.Plate, best: i})
		}
		ts[j].weight += w
		ts[j].n++
		if r.Confidence > b.reads[ts[j].best].Confidence {
			ts[j].best = i
		}
	}
	sort.SliceStable(ts, func(i, j int) bool {
		a, c := ts[i], ts[j]
		if a.weight != c.weight {
			return a.weight > c.weight
		}
		if a.n != c.n {
			return a.n > c.n
		}
		return b.reads[a.best].Confidence > b.reads[c.best].Confidence
	})
	return ts
}

// winner is the read that stands for the visit: the most confident read of the winning text,
// with the first picture of that text where it has none, and the runners-up.
func (b *ballot) winner() (plate.Read, int, []wire.PlateAlternative) {
	ts := b.tallies()
	w := b.reads[ts[0].best]
	for _, r := range b.reads {
		if r.Plate != w.Plate {
			continue
		}
		if len(w.ImageJPEG) == 0 && len(r.ImageJPEG) > 0 {
			w.ImageJPEG = r.ImageJPEG
		}
		if len(w.SceneJPEG) == 0 && len(r.SceneJPEG) > 0 {
			w.SceneJPEG = r.SceneJPEG
		}
		if w.Color == "" {
			w.Color = r.Color
		}
		if w.Type == "" {
			w.Type = r.Type
		}
	}
	var alts []wire.PlateAlternative
	for _, t := range ts[1:] {
		r := b.reads[t.best]
		alts = append(alts, wire.PlateAlternative{Text: t.text, Confidence: r.Confidence, Reads: t.n, Camera: r.Camera})
	}
	return w, ts[0].n, alts
}

// sameTruck reports whether two plate texts may be reads of one truck: equal, or one edit apart
// (a misread character, 8 for B, a dropped one). Two different trucks' plates rarely are; a
// text further off is the next truck in the queue.
func sameTruck(a, b string) bool {
	if a == b {
		return true
	}
	return editDistance([]rune(a), []rune(b)) <= 1
}

func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
