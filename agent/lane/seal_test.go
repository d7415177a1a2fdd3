package lane

import (
	"bytes"
	"testing"

	"sitegate/agent/seal"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
)

// TestStoreSealsAndArchives: with a sealer, each stored passage is signed and chained to the one
// before it, the archive gets the very bytes the outbox has, and an amendment is signed with
// the links of the passage it amends.
func TestStoreSealsAndArchives(t *testing.T) {
	l, box, a := testLane(t, BarrierOptions{})
	s, err := seal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l.o.Sealer = s
	type put struct {
		p     Passage
		body  []byte
		files int
	}
	var archived []put
	l.o.Archive = func(p Passage, body []byte, files []Evidence) { archived = append(archived, put{p, body, len(files)}) }
	dk := deck.New(deck.Params{})
	for i := range 2 {
		a.onDeck(deck.Event{Kind: deck.Arrived, At: at(float64(100 * i))}, []Evidence{{Name: "wheels.jpg", Camera: "wheels", JPEG: []byte{byte(i), 1, 2}}})
		a.onDeck(deck.Event{Kind: deck.Stable, At: at(float64(100*i + 5)), GrossKg: 31200}, nil)
		for _, dr := range a.onDeck(deck.Event{Kind: deck.Departed, At: at(float64(100*i + 20))}, nil) {
			l.store(dr)
		}
	}
	// A plate read of the second truck after it left: an amendment.
	l.onPlate(a, dk, plateIn{read: plate.Read{Lane: "exit-1", Plate: "浙F12345", Confidence: 0.9, Time: at(104)}, received: at(125)})
	es, _ := box.Peek(0, 100)
	var bodies [][]byte
	for _, e := range es {
		if e.Kind == 0 {
			bodies = append(bodies, e.Payload)
		}
	}
	if len(bodies) != 3 || len(archived) != 3 {
		t.Fatalf("%d passages and amendments stored, %d archived", len(bodies), len(archived))
	}
	var checked []seal.Checked
	for i, b := range bodies {
		if !bytes.Equal(archived[i].body, b) {
			t.Errorf("archived body %d differs from the outbox's", i)
		}
		c, err := seal.Verify(b, s.PublicKey())
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		checked = append(checked, c)
	}
	if archived[0].files != 1 || archived[2].files != 0 || archived[2].p.Revision != 1 {
		t.Errorf("archived %+v", archived)
	}
	if checked[0].PrevSeq != 0 || checked[1].PrevSeq != 1 || checked[1].PrevSHA256 != checked[0].SHA256 {
		t.Errorf("chain %+v", checked)
	}
	if checked[2].Revision != 1 || checked[2].PrevSeq != 1 || checked[2].PrevSHA256 != checked[0].SHA256 {
		t.Errorf("amendment's links %+v, want those of seq 2", checked[2])
	}
	if gaps := seal.Chain(checked); len(gaps) != 0 {
		t.Errorf("gaps %v", gaps)
	}
	if h := s.Head(); h.Seq != 2 || h.SHA256 != checked[1].SHA256 {
		t.Errorf("head %+v", h)
	}
}
