package lane

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/models/deck"
	"sitegate/models/registry"
)

func journalLane(t *testing.T, dir string, box outbox.Outbox, limit int64) *Lane {
	t.Helper()
	reg := testRegistry(t)
	return New(Options{Site: "s", Gateway: "g", ID: "exit-1", Direction: "exit", PlateWindow: 30 * time.Second,
		PlateOnlyTimeout: 60 * time.Second, Checks: testChecks(), Registry: func() *registry.Registry { return reg },
		Box: box, Location: time.UTC, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PlateJournal: dir, PlateJournalBytes: limit, Now: func() time.Time { return at(0) }})
}

// TestJournalSurvivesAStop: a read the lane took (answered 200) and had not stored when the
// process died is read back, pictures and all, by the next lane on the same folder, and becomes
// its passage; then the journal is empty.
func TestJournalSurvivesAStop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plates", "exit-1")
	img, scene := tinyJPEG(t, 1), tinyJPEG(t, 2)
	l := journalLane(t, dir, outbox.NewMemory(), 0)
	if err := l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F12345", Confidence: 0.9, ImageJPEG: img, SceneJPEG: scene, Camera: "front"}); err != nil {
		t.Fatal(err)
	}
	if in := <-l.plates; in.read.ImageJPEG != nil || in.ref == 0 || !in.pics.plate {
		t.Fatalf("the queued read keeps its picture in memory: %+v", in)
	}
	// The process dies here; a new lane opens the same folder.
	box := outbox.NewMemory()
	l2 := journalLane(t, dir, box, 0)
	if len(l2.replay) != 1 {
		t.Fatalf("%d reads read back", len(l2.replay))
	}
	a := &assembler{plateWindow: 30 * time.Second, plateOnlyTimeout: 60 * time.Second}
	l2.replayJournal(a, deck.New(deck.Params{}))
	for _, d := range a.flush(at(70)) {
		l2.store(d)
	}
	ps := stored[wire.Passage](t, box, "passage")
	if len(ps) != 1 || ps[0].Plate == nil || ps[0].Plate.Text != "浙F12345" {
		t.Fatalf("passages %+v", ps)
	}
	got := map[string]int{}
	es, _ := box.Peek(0, 100)
	for _, e := range es {
		switch filepath.Base(e.Topic) {
		case "plate.jpg":
			got["plate"] = len(e.Payload)
			if !bytes.Equal(e.Payload, img) {
				t.Error("plate.jpg is not the camera's picture")
			}
		case "front-scene.jpg":
			got["scene"] = len(e.Payload)
			if !bytes.Equal(e.Payload, scene) {
				t.Error("front-scene.jpg is not the camera's picture")
			}
		}
	}
	if got["plate"] == 0 || got["scene"] == 0 {
		t.Errorf("evidence %v", got)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(left) != 0 || l2.j.held() != 0 {
		t.Errorf("journal keeps %d files, %d bytes after the passage was stored", len(left), l2.j.held())
	}
}

func TestJournalBound(t *testing.T) {
	dir := t.TempDir()
	l := journalLane(t, dir, outbox.NewMemory(), 4096)
	big := bytes.Repeat([]byte{0xFF}, 2000) // 2.7 KB as base64 in the journal
	if err := l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F12345", ImageJPEG: big}); err != nil {
		t.Fatal(err)
	}
	// No room for a second picture: the read is taken without it (pictures go first).
	if err := l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F12346", ImageJPEG: big}); err != nil {
		t.Fatalf("second read: %v, want it taken without its picture", err)
	}
	if st := l.Status(); st.PlatePicturesDropped != 1 {
		t.Errorf("pictures dropped %d", st.PlatePicturesDropped)
	}
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F22222"})
	}
	if !errors.Is(err, ErrJournalFull) {
		t.Fatalf("reads without pictures past the bound: %v, want the journal full (the camera tries again)", err)
	}
	if st := l.Status(); st.PlatesDropped != 1 {
		t.Errorf("refused reads %d", st.PlatesDropped)
	}
}

// TestRepeatedPushGetsItsPicture: the same plate pushed first without a picture, then with one:
// the passage has the picture.
func TestRepeatedPushGetsItsPicture(t *testing.T) {
	box := outbox.NewMemory()
	l := journalLane(t, t.TempDir(), box, 0)
	a := &assembler{plateWindow: 30 * time.Second, plateOnlyTimeout: 60 * time.Second}
	dk := deck.New(deck.Params{})
	img := tinyJPEG(t, 3)
	for _, r := range []plate.Read{{Lane: "exit-1", Plate: "浙F12345", Confidence: 0.9}, {Lane: "exit-1", Plate: "浙F12345", Confidence: 0.8, ImageJPEG: img}} {
		if err := l.Plate(r); err != nil {
			t.Fatal(err)
		}
		l.onPlate(a, dk, <-l.plates)
	}
	for _, d := range a.onTick(at(61)) {
		l.store(d)
	}
	p := stored[wire.Passage](t, box, "passage")[0]
	if len(p.Evidence) != 1 || p.Evidence[0].Name != "plate.jpg" || p.Evidence[0].Bytes != len(img) {
		t.Fatalf("evidence %+v", p.Evidence)
	}
}

// tinyJPEG is a JPEG-looking payload told apart by seed: the lane does not decode pictures.
func tinyJPEG(t *testing.T, seed byte) []byte {
	t.Helper()
	return []byte{0xFF, 0xD8, 0xFF, seed, 0xFF, 0xD9}
}

// TestJournalLeavesTheStoreItsReserve: with little room beside the store, a read's pictures go
// first; with none, the read is refused (try again) rather than eating the store's reserve.
func TestJournalLeavesTheStoreItsReserve(t *testing.T) {
	reg := testRegistry(t)
	room := int64(1000)
	l := New(Options{ID: "exit-1", Registry: func() *registry.Registry { return reg }, Box: outbox.NewMemory(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PlateJournal: t.TempDir(),
		PlateJournalRoom: func(n int64) bool { return n <= room }})
	if err := l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F12345", ImageJPEG: bytes.Repeat([]byte{1}, 4000)}); err != nil {
		t.Fatalf("read with a picture: %v", err)
	}
	if in := <-l.plates; in.pics.plate {
		t.Error("the picture was kept without room for it")
	}
	room = 0
	if err := l.Plate(plate.Read{Lane: "exit-1", Plate: "浙F12346"}); !errors.Is(err, ErrJournalFull) {
		t.Fatalf("no room: %v", err)
	}
}
