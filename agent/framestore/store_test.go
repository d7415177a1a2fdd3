package framestore

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/wire"
)

func kept(id string, at time.Time) Kept {
	return Kept{PassageID: id, Camera: "wheels", Check: "mud", At: at, Scorer: "classic", Model: "classic/shipped", Score: 0.7, Threshold: 0.5,
		Regions: []wire.RegionScore{{Name: "wheels", Score: 0.7}}, Crops: []string{"wheels.jpg"}}
}

func TestPutLabelList(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	now := t0
	s, err := Open(dir, Options{MaxBytes: 10_000, MaxAge: time.Hour, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{1}, 2000)
	for i := 0; i < 3; i++ {
		if err := s.Put(kept(fmt.Sprintf("p%d", i), t0.Add(time.Duration(i)*time.Minute)), frame, [][]byte{frame[:500]}); err != nil {
			t.Fatal(err)
		}
	}
	if cam, err := s.Label("p0", "mud", "muddy", "officer"); err != nil || cam != "wheels" {
		t.Fatal(cam, err)
	}
	if _, err := s.Label("nope", "mud", "muddy", ""); !errors.Is(err, ErrUnknownPassage) {
		t.Fatalf("unknown passage: %v", err)
	}
	// A fourth passage overflows 10 kB: the oldest unlabelled one (p1) goes, not p0.
	if err := s.Put(kept("p3", t0.Add(3*time.Minute)), frame, [][]byte{frame[:500]}); err != nil {
		t.Fatal(err)
	}
	es, err := List(dir, "wheels")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Kept.PassageID)
	}
	if fmt.Sprint(ids) != "[p0 p2 p3]" {
		t.Fatalf("kept %v", ids)
	}
	if es[0].Label == nil || es[0].Label.Label != "muddy" || es[1].Label != nil {
		t.Fatalf("labels %+v %+v", es[0].Label, es[1].Label)
	}
	if b, _ := os.ReadFile(filepath.Join(es[1].Dir, "wheels.jpg")); len(b) != 500 {
		t.Fatal("crop not kept")
	}
	// A reopen indexes what is there; past the age bound everything goes.
	now = t0.Add(2 * time.Hour)
	s2, err := Open(dir, Options{MaxBytes: 10_000, MaxAge: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 0 || s2.Bytes() != 0 {
		t.Fatalf("after the age bound: %d kept, %d bytes", s2.Len(), s2.Bytes())
	}
}

// dirSize is what the files under dir take: the disk's use, for a disk that holds only them.
func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func TestPutLeavesTheReserve(t *testing.T) {
	dir := t.TempDir()
	capacity := int64(6500) // a disk of 6.5 kB beyond the outbox's reserve
	s, err := Open(dir, Options{Room: func(n int64) bool { return dirSize(dir)+n <= capacity }})
	if err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{1}, 2500)
	for i := 0; i < 5; i++ {
		if err := s.Put(kept(fmt.Sprintf("p%d", i), time.Now().Add(time.Duration(i)*time.Second)), frame, [][]byte{{1}}); err != nil {
			t.Fatal(err)
		}
		if used := dirSize(dir); used > capacity {
			t.Fatalf("after %d puts the frames take %d bytes of %d", i+1, used, capacity)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("%d kept, want the 2 newest", s.Len())
	}
	capacity = 0 // the outbox grew into the rest
	if err := s.Put(kept("p9", time.Now().Add(time.Minute)), frame, [][]byte{{1}}); !errors.Is(err, ErrNoRoom) {
		t.Fatalf("full disk: %v", err)
	}
	if s.Len() != 0 {
		t.Fatalf("a full disk still holds %d", s.Len())
	}
	if err := s.Put(kept("../x", time.Now()), frame, nil); err == nil {
		t.Fatal("a passage id with a path was taken")
	}
}

// A camera that runs two checks keeps each check's frame of a passage, and a review labels the
// frame of its own check.
func TestTwoChecksOfOneCamera(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxBytes: 1 << 20, MaxAge: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	m := kept("p1", at)
	c := kept("p1", at)
	c.Check, c.Regions, c.Crops = "cover", []wire.RegionScore{{Name: "bed", Score: 0.9}}, []string{"bed.jpg"}
	if err := s.Put(m, []byte("mud-frame"), [][]byte{[]byte("w")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(c, []byte("cover-frame"), [][]byte{[]byte("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Label("p1", "cover", "heaped", "officer"); err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.Check = "../x"
	if err := s.Put(bad, []byte("x"), [][]byte{[]byte("b")}); err == nil {
		t.Fatal("a check name that is no folder name was kept")
	}
	es, err := List(dir, "wheels")
	if err != nil || len(es) != 2 {
		t.Fatalf("%d kept, %v", len(es), err)
	}
	for _, e := range es {
		frame, _ := os.ReadFile(filepath.Join(e.Dir, FrameFile))
		switch e.Kept.Check {
		case "mud":
			if string(frame) != "mud-frame" || e.Label != nil || filepath.Base(e.Dir) != "p1" {
				t.Errorf("mud entry %+v, frame %q", e, frame)
			}
		case "cover":
			if string(frame) != "cover-frame" || e.Label == nil || e.Label.Label != "heaped" || e.Kept.Crops[0] != "bed.jpg" {
				t.Errorf("cover entry %+v, frame %q", e, frame)
			}
		default:
			t.Errorf("entry of check %q", e.Kept.Check)
		}
	}
}
