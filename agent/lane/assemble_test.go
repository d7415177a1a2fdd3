package lane

import (
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/models/deck"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func newAssembler() *assembler {
	return &assembler{plateWindow: 30 * time.Second, plateOnlyTimeout: 60 * time.Second}
}

func read(p string, conf float64) plate.Read {
	return plate.Read{Lane: "exit-1", Plate: p, Color: "yellow", Confidence: conf}
}

func TestPlateBeforeArrivalBelongsToTheVisit(t *testing.T) {
	a := newAssembler()
	a.onPlate(read("浙F12345", 0.9), at(0), nil)
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(10)}, []Evidence{{Name: "wheels.jpg", JPEG: []byte{1}}})
	a.onDeck(deck.Event{Kind: deck.Stable, At: at(14), GrossKg: 31200}, []Evidence{{Name: "wheels.jpg", JPEG: []byte{2}}})
	out := a.onDeck(deck.Event{Kind: deck.Departed, At: at(20), Captured: true, GrossKg: 31200}, nil)
	if len(out) != 1 {
		t.Fatalf("got %d drafts", len(out))
	}
	d := out[0]
	if d.plate == nil || d.plate.Plate != "浙F12345" || !d.stable || d.grossKg != 31200 {
		t.Fatalf("draft %+v", d)
	}
	if len(d.evidence) != 1 || d.evidence[0].JPEG[0] != 2 {
		t.Fatalf("the frame at the stable weight replaces the arrival frame: %+v", d.evidence)
	}
	if len(a.onTick(at(200))) != 0 {
		t.Fatal("the plate was used by the visit and must not also time out")
	}
}

func TestPlateOutsideWindowIsPlateOnly(t *testing.T) {
	a := newAssembler()
	a.onPlate(read("浙F12345", 0.9), at(0), nil)
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(31)}, nil)
	if out := a.onTick(at(59)); len(out) != 0 {
		t.Fatalf("timed out early: %+v", out)
	}
	out := a.onTick(at(60))
	if len(out) != 1 || out[0].plate.Plate != "浙F12345" || out[0].weighed {
		t.Fatalf("want one plate-only draft, got %+v", out)
	}
	out = a.onDeck(deck.Event{Kind: deck.Departed, At: at(70)}, nil)
	if len(out) != 1 || out[0].plate != nil || out[0].stable {
		t.Fatalf("the visit has no plate and no weight: %+v", out)
	}
}

func TestPlateDuringVisitAttaches(t *testing.T) {
	a := newAssembler()
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(0)}, nil)
	a.onPlate(read("浙F12345", 0.8), at(3), []Evidence{{Name: "plate.jpg"}})
	a.onPlate(read("浙F12345", 0.95), at(4), nil) // the camera pushes again
	a.onPlate(read("苏A11111", 0.9), at(5), nil)  // the next truck in the queue
	out := a.onDeck(deck.Event{Kind: deck.Departed, At: at(20), Captured: true, GrossKg: 20000}, nil)
	if len(out) != 1 || out[0].plate.Plate != "浙F12345" || out[0].plate.Confidence != 0.95 || len(out[0].evidence) != 1 {
		t.Fatalf("got %+v", out)
	}
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(25)}, nil)
	out = a.onDeck(deck.Event{Kind: deck.Departed, At: at(40), Captured: true, GrossKg: 15000}, nil)
	if len(out) != 1 || out[0].plate == nil || out[0].plate.Plate != "苏A11111" {
		t.Fatalf("the queued plate belongs to the next visit: %+v", out)
	}
}

func TestLatestPlateInWindowWins(t *testing.T) {
	a := newAssembler()
	a.onPlate(read("浙F11111", 0.9), at(0), nil)
	a.onPlate(read("浙F22222", 0.9), at(20), nil)
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(25)}, nil)
	out := a.onDeck(deck.Event{Kind: deck.Departed, At: at(40)}, nil)
	if out[0].plate.Plate != "浙F22222" {
		t.Fatalf("got %s", out[0].plate.Plate)
	}
	out = a.onTick(at(61))
	if len(out) != 1 || out[0].plate.Plate != "浙F11111" {
		t.Fatalf("the other plate becomes plate-only: %+v", out)
	}
}

func TestRepeatedPushesAreOnePlate(t *testing.T) {
	a := newAssembler()
	for i := 0; i < 3; i++ {
		a.onPlate(read("浙F12345", 0.5+float64(i)/10), at(float64(i)), nil)
	}
	out := a.onTick(at(61))
	if len(out) != 1 || out[0].plate.Confidence != 0.7 {
		t.Fatalf("got %+v", out)
	}
}

func TestFlushEndsEverything(t *testing.T) {
	a := newAssembler()
	a.onPlate(read("浙F11111", 0.9), at(0), nil)
	a.onDeck(deck.Event{Kind: deck.Arrived, At: at(100)}, nil)
	out := a.flush(at(105))
	if len(out) != 2 {
		t.Fatalf("got %d drafts", len(out))
	}
	for _, d := range out {
		if d.endReason != "shutdown" {
			t.Errorf("draft without shutdown reason: %+v", d)
		}
	}
	if len(a.flush(at(106))) != 0 {
		t.Error("flush twice")
	}
}
