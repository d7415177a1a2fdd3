package lane

import (
	"testing"

	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
)

// TestPassageMarkedBeforeClockSync: a passage stored while the clock is not synchronised says
// so; once it is, passages carry no mark.
func TestPassageMarkedBeforeClockSync(t *testing.T) {
	l, box, a := testLane(t, BarrierOptions{})
	synced := false
	l.o.ClockSynced = func() bool { return synced }
	dk := deck.New(deck.Params{})
	for i, p := range []string{"浙F11111", "浙F22222"} {
		synced = i == 1
		l.onPlate(a, dk, plateIn{read: plate.Read{Lane: "exit-1", Plate: p, Late: true, Time: at(1)}, received: at(1)})
	}
	ps := stored[wire.Passage](t, box, "passage")
	if len(ps) != 2 || ps[0].Clock != wire.ClockUnsynced || ps[1].Clock != "" {
		t.Fatalf("passages %+v, want the first marked clock unsynced and the second not", ps)
	}
}
