package console

import (
	"context"
	"sync"
	"time"

	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	config "sitegate/firmware-config"
)

// Sources are where the console reads the running gateway, and the one change it makes.
type Sources struct {
	// Status is the gateway's whole status (as published on status).
	Status func() wire.Status
	// Lanes are the lanes' status, sampled for the weight traces.
	Lanes func() []wire.LaneStatus
	// Running is the config the lanes run now.
	Running func() *config.Config
	// ConfigVersion is the running desired config's version (0: the local file).
	ConfigVersion func() int64
	// Cameras are the cameras of the running lanes.
	Cameras func() []Camera
	// SetRegions applies a camera's new regions through the control plane (agent/remote) on
	// behalf of by, and returns what config/reported said.
	SetRegions func(ctx context.Context, lane, camera string, rois []config.ROI, by string) (wire.Reported, error)
}

// Camera is one running camera, as the console reads it.
type Camera struct {
	Lane, ID string
	Status   func() camera.Status
	// Frame is the latest frame as a JPEG.
	Frame func() ([]byte, time.Time, error)
	// Mud is the camera's live mud score: judged is false while no truck is being watched
	// (or the camera has no mud check).
	Mud func() (judged bool, score, threshold float64)
	// Cover is the camera's live cover score, as Mud; nil when the camera has no cover check.
	Cover func() (judged bool, score, threshold float64)
}

// Trace sizes: a sample every traceEvery, traceLen of them (a minute) a lane.
const (
	traceEvery = 250 * time.Millisecond
	traceLen   = 240
)

// sample is one point of a lane's weight trace.
type sample struct {
	at   time.Time
	kg   float64
	deck string
}

// traces keeps each lane's recent weight and deck state.
type traces struct {
	mu sync.Mutex
	m  map[string][]sample
}

func (t *traces) add(now time.Time, lanes []wire.LaneStatus) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string][]sample{}
	}
	// A lane missing from one sample (restarting for a config change) keeps its trace.
	for _, l := range lanes {
		s := append(t.m[l.ID], sample{at: now, kg: l.LastKg, deck: l.Deck})
		if len(s) > traceLen {
			s = append(s[:0], s[len(s)-traceLen:]...)
		}
		t.m[l.ID] = s
	}
}

// points is lane's trace as [unix ms, kg] pairs and the deck state of each.
func (t *traces) points(lane string) ([][2]float64, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[lane]
	pts := make([][2]float64, len(s))
	decks := make([]string, len(s))
	for i, x := range s {
		pts[i] = [2]float64{float64(x.at.UnixMilli()), x.kg}
		decks[i] = x.deck
	}
	return pts, decks
}

// Recent passages kept, and the evidence bytes kept with the newest of them.
const (
	recentPassages   = 20
	evidenceBudget   = 16 << 20
	evidencePassages = 8
)

// recent keeps the last passages and the evidence of the newest few, in memory.
type recent struct {
	mu       sync.Mutex
	passages []wire.Passage // newest last
	evidence map[string]map[string][]byte
	pending  map[string]map[string][]byte // evidence appended before its passage was stored
}

func (r *recent) addEvidence(ref, name string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string]map[string][]byte{}
	}
	if len(r.pending) > evidencePassages { // a passage that was never stored
		clear(r.pending)
	}
	if r.pending[ref] == nil {
		r.pending[ref] = map[string][]byte{}
	}
	r.pending[ref][name] = b
}

func (r *recent) addPassage(p wire.Passage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evidence == nil {
		r.evidence = map[string]map[string][]byte{}
	}
	if ev, ok := r.pending[p.ID]; ok {
		r.evidence[p.ID] = ev
		delete(r.pending, p.ID)
	}
	r.passages = append(r.passages, p)
	if len(r.passages) > recentPassages {
		r.passages = append(r.passages[:0], r.passages[len(r.passages)-recentPassages:]...)
	}
	// Keep the evidence of the newest passages within the budget.
	total := 0
	kept := 0
	for i := len(r.passages) - 1; i >= 0; i-- {
		id := r.passages[i].ID
		ev, ok := r.evidence[id]
		if !ok {
			continue
		}
		size := 0
		for _, b := range ev {
			size += len(b)
		}
		if kept >= evidencePassages || total+size > evidenceBudget {
			delete(r.evidence, id)
			continue
		}
		kept++
		total += size
	}
}

func (r *recent) list() []wire.Passage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]wire.Passage, len(r.passages))
	for i, p := range r.passages {
		out[len(r.passages)-1-i] = p // newest first
	}
	return out
}

func (r *recent) picture(id, name string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.evidence[id][name]
	return b, ok
}

func (r *recent) has(id, name string) bool {
	_, ok := r.picture(id, name)
	return ok
}

// teeBox is an outbox that also hands the evidence it is given to the console.
type teeBox struct {
	outbox.Outbox
	r *recent
}

func (t teeBox) AppendBatch(build func(n uint64) ([]outbox.Message, error)) ([]uint64, error) {
	return t.Outbox.AppendBatch(func(n uint64) ([]outbox.Message, error) {
		msgs, err := build(n)
		if err == nil {
			for _, m := range msgs {
				if m.Kind != outbox.KindEvidence {
					continue
				}
				if tp, err := wire.Parse(m.Topic); err == nil && tp.Kind == "evidence" && len(tp.Rest) == 2 {
					t.r.addEvidence(m.Ref, tp.Rest[1], m.Payload)
				}
			}
		}
		return msgs, err
	})
}
