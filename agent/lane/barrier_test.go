package lane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
	"sitegate/models/registry"
)

// testLane is a lane that is not running: tests drive its loop's steps themselves.
func testLane(t *testing.T, b BarrierOptions, cams ...checks.Camera) (*Lane, *outbox.Memory, *assembler) {
	t.Helper()
	box := outbox.NewMemory()
	reg := testRegistry(t)
	l := New(Options{Site: "s", Gateway: "g", ID: "exit-1", Direction: "exit", PlateWindow: 30 * time.Second,
		PlateOnlyTimeout: 60 * time.Second, Checks: testChecks(cams...), Registry: func() *registry.Registry { return reg },
		Box: box, Location: time.UTC, Barrier: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return at(100) }})
	return l, box, &assembler{plateWindow: 30 * time.Second, plateOnlyTimeout: 60 * time.Second}
}

// stored returns the outbox's messages on topics ending in kind, decoded into T.
func stored[T any](t *testing.T, box *outbox.Memory, kind string) []T {
	t.Helper()
	es, err := box.Peek(0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, e := range es {
		if strings.HasSuffix(e.Topic, "/"+kind) {
			var v T
			if err := json.Unmarshal(e.Payload, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

// weigh puts a truck with plate on the deck at a stable weight.
func weigh(l *Lane, a *assembler, p string, kg float64) {
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(0)}, nil)
	l.onPlate(a, deck.New(deck.Params{}), plateIn{read: plate.Read{Lane: "exit-1", Plate: p, Confidence: 0.9, Time: at(1)}, received: at(1)})
	a.onDeck(deck.Event{Kind: deck.Stable, At: at(5), GrossKg: kg}, nil)
}

type fakeBarrier struct {
	mu    sync.Mutex
	opens int
	err   error
}

func (f *fakeBarrier) Open(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	return f.err
}

func TestBarrierDecision(t *testing.T) {
	holdOn := []string{"overload", "mud", "registry", "permit"}
	cases := []struct {
		name     string
		mode     string
		plate    string
		kg       float64
		camErr   error
		action   string
		reasons  []string
		opens    int
		errorHas string
	}{
		{"advise, clean", "advise", "浙F12345", 24000, nil, "open", nil, 0, ""},
		{"advise, overloaded", "advise", "浙F12345", 31200, nil, "hold", []string{"overload"}, 0, ""},
		{"enforce, clean opens", "enforce", "浙F12345", 24000, nil, "open", nil, 1, ""},
		{"enforce, overloaded stays shut", "enforce", "浙F12345", 31200, nil, "hold", []string{"overload"}, 0, ""},
		{"enforce, unregistered stays shut", "enforce", "苏A99999", 20000, nil, "hold", []string{"registry"}, 0, ""},
		{"enforce, camera unreachable holds", "enforce", "浙F12345", 24000, errors.New("dial tcp 192.0.2.1:80: timeout"), "hold", nil, 1, "barrier camera unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fb := &fakeBarrier{err: c.camErr}
			l, box, a := testLane(t, BarrierOptions{Mode: c.mode, Via: "front", HoldOn: holdOn, Open: fb.Open})
			weigh(l, a, c.plate, c.kg)
			l.decide(a, at(5))
			if c.mode == "enforce" && c.action == "open" || c.camErr != nil {
				l.onOpened(<-l.openedCh) // the camera answered
			}
			ds := stored[wire.Decision](t, box, "decision")
			if len(ds) != 1 {
				t.Fatalf("%d decisions stored", len(ds))
			}
			d := ds[0]
			if d.Action != c.action || !slices.Equal(d.Reasons, append([]string{}, c.reasons...)) || d.Plate == nil || d.Plate.Text != c.plate ||
				!strings.Contains(d.Error, c.errorHas) || d.Schema != wire.DecisionSchema || d.Mode != c.mode {
				t.Errorf("decision %+v", d)
			}
			if fb.opens != c.opens {
				t.Errorf("camera asked to open %d times, want %d", fb.opens, c.opens)
			}
			// Once decided, never again for this truck.
			l.decide(a, at(6))
			if n := len(stored[wire.Decision](t, box, "decision")); n != 1 {
				t.Errorf("%d decisions after a second look", n)
			}
			// The passage records the decision.
			for _, dr := range a.onDeck(deck.Event{Kind: deck.Departed, At: at(20)}, nil) {
				l.store(dr)
			}
			ps := stored[wire.Passage](t, box, "passage")
			if len(ps) != 1 || ps[0].Barrier == nil || ps[0].Barrier.Action != c.action {
				t.Fatalf("passage barrier %+v", ps)
			}
			st := l.Status().Barrier
			if st == nil || st.Decisions != 1 || (c.camErr != nil) != (st.CameraError != "") {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// TestBarrierWaitsForTheCameraChecks: with a mud camera that has judged nothing yet the decision
// waits, then is made with what there is once the wait is over; a muddy truck is held.
func TestBarrierWaitsForTheCameraChecks(t *testing.T) {
	fw := &fakeWatcher{}
	l, box, a := testLane(t, BarrierOptions{Mode: "advise", HoldOn: []string{"mud"}, Wait: 10 * time.Second},
		checks.Camera{ID: "wheels", Vision: map[string]checks.VisionWatcher{"mud": fw}})
	weigh(l, a, "浙F12345", 24000)
	l.decide(a, at(6))
	if n := len(stored[wire.Decision](t, box, "decision")); n != 0 {
		t.Fatalf("decided before the mud check judged")
	}
	fw.out = checks.VisionOutcome{Camera: "wheels", Judged: true, Score: 0.9, Threshold: 0.5}
	l.decide(a, at(7))
	ds := stored[wire.Decision](t, box, "decision")
	if len(ds) != 1 || ds[0].Action != "hold" || !slices.Equal(ds[0].Reasons, []string{"mud"}) {
		t.Fatalf("decisions %+v", ds)
	}
	// A camera that never judges: decided after the wait, without mud.
	fw2 := &fakeWatcher{}
	l2, box2, a2 := testLane(t, BarrierOptions{Mode: "advise", HoldOn: []string{"mud"}, Wait: 10 * time.Second},
		checks.Camera{ID: "wheels", Vision: map[string]checks.VisionWatcher{"mud": fw2}})
	weigh(l2, a2, "浙F12345", 24000)
	l2.decide(a2, at(14))
	if n := len(stored[wire.Decision](t, box2, "decision")); n != 0 {
		t.Fatalf("decided before the wait was over")
	}
	l2.decide(a2, at(15))
	if ds := stored[wire.Decision](t, box2, "decision"); len(ds) != 1 || ds[0].Action != "open" {
		t.Fatalf("decisions %+v", ds)
	}
}

// TestGuardReleasesAHeldTruck: cmd/barrier opens a held truck's barrier, and its passage says
// who did and why.
func TestGuardReleasesAHeldTruck(t *testing.T) {
	fb := &fakeBarrier{}
	l, box, a := testLane(t, BarrierOptions{Mode: "enforce", Via: "front", HoldOn: []string{"overload"}, Open: fb.Open})
	weigh(l, a, "浙F12345", 31200)
	l.decide(a, at(5))
	done := make(chan error, 1)
	go func() {
		done <- l.Release(context.Background(), Release{By: "guard-7", Reason: "weighed again at the second scale"})
	}()
	l.onRelease(a, <-l.releases)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fb.opens != 1 {
		t.Errorf("camera asked to open %d times", fb.opens)
	}
	for _, dr := range a.onDeck(deck.Event{Kind: deck.Departed, At: at(30)}, nil) {
		l.store(dr)
	}
	ds := stored[wire.Decision](t, box, "decision")
	if len(ds) != 2 || ds[0].Action != "hold" || ds[1].Action != "open" || ds[1].ReleasedBy != "guard-7" {
		t.Fatalf("decisions %+v", ds)
	}
	p := stored[wire.Passage](t, box, "passage")[0]
	if b := p.Barrier; b == nil || b.Action != "open" || b.ReleasedBy != "guard-7" || b.Reason == "" || !slices.Equal(b.Reasons, []string{"overload"}) {
		t.Fatalf("passage barrier %+v", p.Barrier)
	}
	if st := l.Status().Barrier; st.Released != 1 || st.Held != 1 || st.Opened != 1 {
		t.Errorf("status %+v", st)
	}
}

// TestBarrierOffOrNoPlate: with the barrier off nothing is decided; a truck that leaves with no
// plate read is recorded as held for it.
func TestBarrierOffOrNoPlate(t *testing.T) {
	l, box, a := testLane(t, BarrierOptions{Mode: "off"})
	weigh(l, a, "浙F12345", 24000)
	l.decide(a, at(5))
	for _, dr := range a.onDeck(deck.Event{Kind: deck.Departed, At: at(20)}, nil) {
		l.store(dr)
	}
	if len(stored[wire.Decision](t, box, "decision")) != 0 || stored[wire.Passage](t, box, "passage")[0].Barrier != nil {
		t.Fatal("a lane without a barrier decided")
	}
	l2, box2, a2 := testLane(t, BarrierOptions{Mode: "enforce", Open: (&fakeBarrier{}).Open})
	a2.onDeck(deck.Event{Kind: deck.Arrived, At: at(0)}, nil)
	a2.onDeck(deck.Event{Kind: deck.Stable, At: at(5), GrossKg: 20000}, nil)
	l2.decide(a2, at(30))
	for _, dr := range a2.onDeck(deck.Event{Kind: deck.Departed, At: at(40)}, nil) {
		l2.store(dr)
	}
	p := stored[wire.Passage](t, box2, "passage")[0]
	if p.Barrier == nil || p.Barrier.Action != "hold" || !slices.Equal(p.Barrier.Reasons, []string{"no_plate"}) {
		t.Fatalf("barrier %+v", p.Barrier)
	}
}

func TestOfflineResendsAreLateAndOnce(t *testing.T) {
	l, box, a := testLane(t, BarrierOptions{})
	dk := deck.New(deck.Params{})
	const n = 9000
	for round := range 2 { // cameras sometimes send their backlog twice
		for i := range n {
			r := plate.Read{Lane: "exit-1", Plate: fmt.Sprintf("浙F%05d", i), Confidence: 0.9, Vendor: "vzenith", Camera: "front",
				Key: fmt.Sprint(i), Late: true, Time: at(float64(-3600 + i))}
			l.onPlate(a, dk, plateIn{read: r, received: at(float64(round))})
		}
	}
	ps := stored[wire.Passage](t, box, "passage")
	if len(ps) != n {
		t.Fatalf("%d passages from %d resends sent twice, want %d", len(ps), n, n)
	}
	seen := map[string]bool{}
	for i, p := range ps {
		if !p.Late || p.Plate == nil || seen[p.Plate.Text] || p.Seq != uint64(i+1) || p.StartedAt != at(float64(-3600+i)).Format(TimeLayout) {
			t.Fatalf("passage %d: %+v", i, p)
		}
		seen[p.Plate.Text] = true
	}
	if st := l.Status(); st.PlatesLate != n || st.PlatesDuplicate != n {
		t.Errorf("status late %d duplicate %d", st.PlatesLate, st.PlatesDuplicate)
	}
}

// TestLateReadAmendsThePassage: a plate read whose own time is within a plate-less truck's visit
// but which arrives after it left amends that passage instead of waiting for a truck of its own.
func TestLateReadAmendsThePassage(t *testing.T) {
	l, box, a := testLane(t, BarrierOptions{})
	dk := deck.New(deck.Params{})
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(0)}, nil)
	a.onDeck(deck.Event{Kind: deck.Stable, At: at(5), GrossKg: 31200}, nil)
	for _, dr := range a.onDeck(deck.Event{Kind: deck.Departed, At: at(20)}, nil) {
		l.store(dr)
	}
	// The read, taken at 4 s, arrives at 25 s.
	l.onPlate(a, dk, plateIn{read: plate.Read{Lane: "exit-1", Plate: "浙F12345", Confidence: 0.9, Camera: "front", Time: at(4)}, received: at(25)})
	if len(a.pending) != 0 {
		t.Fatalf("the read waits for a truck of its own")
	}
	ps := stored[wire.Passage](t, box, "passage")
	am := stored[wire.Passage](t, box, "amendment")
	if len(ps) != 1 || len(am) != 1 {
		t.Fatalf("%d passages, %d amendments", len(ps), len(am))
	}
	p, m := ps[0], am[0]
	if m.ID != p.ID || m.Seq != p.Seq || m.Revision != 1 || m.Plate == nil || m.Plate.Text != "浙F12345" || m.AmendReason == "" {
		t.Fatalf("amendment %+v of %+v", m, p)
	}
	if !slices.Contains(p.Alarms, "no_plate") || slices.Contains(m.Alarms, "no_plate") || !slices.Contains(m.Alarms, "overload") {
		t.Errorf("alarms %v, amended %v", p.Alarms, m.Alarms)
	}
	// A read of another truck, or long after, waits for its own truck as before.
	l.onPlate(a, dk, plateIn{read: plate.Read{Lane: "exit-1", Plate: "苏A11111", Confidence: 0.9, Time: at(26)}, received: at(26)})
	if len(a.pending) != 1 || len(stored[wire.Passage](t, box, "amendment")) != 1 {
		t.Errorf("pending %d", len(a.pending))
	}
}

// TestVoteOverReads: two cameras and a misread: the plate with the most weight wins, the
// runner-up is kept, and a plate further off is the next truck.
func TestVoteOverReads(t *testing.T) {
	a := newAssembler()
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(0)}, nil)
	rd := func(p, cam string, conf float64) plate.Read {
		return plate.Read{Lane: "exit-1", Plate: p, Camera: cam, Confidence: conf}
	}
	a.onPlate(rd("浙F1234B", "front", 0.95), at(1), nil) // a misread 8, first and most confident
	a.onPlate(rd("浙F12348", "front", 0.80), at(2), nil)
	a.onPlate(rd("浙F12348", "rear", 0.85), at(2), nil)
	a.onPlate(rd("苏A11111", "front", 0.9), at(3), nil) // the next truck
	out := a.onDeck(deck.Event{Kind: deck.Departed, At: at(20), Captured: true, GrossKg: 20000}, nil)
	d := out[0]
	if d.plate.Plate != "浙F12348" || d.votes != 2 || d.plate.Confidence != 0.85 || d.plate.Camera != "rear" {
		t.Fatalf("winner %+v (%d votes)", d.plate, d.votes)
	}
	if len(d.alternatives) != 1 || d.alternatives[0].Text != "浙F1234B" || d.alternatives[0].Reads != 1 {
		t.Fatalf("alternatives %+v", d.alternatives)
	}
	if len(a.pending) != 1 {
		t.Fatalf("the next truck's read is pending: %d", len(a.pending))
	}
	p, _ := judge(d, registry.Empty(), testChecks(), time.UTC)
	if p.Plate.Reads != 2 || len(p.Plate.Alternatives) != 1 || p.Plate.Camera != "rear" {
		t.Errorf("passage plate %+v", p.Plate)
	}
}
