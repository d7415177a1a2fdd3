package archive_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/archive"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
)

// usage is the bytes of the files under dirs: the fake disk's contents.
func usage(dirs ...string) int64 {
	var n int64
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if fi, err := e.Info(); err == nil {
					n += fi.Size()
				}
			}
			return nil
		})
	}
	return n
}

// TestArchiveYieldsToTheOutbox: on a small disk shared with an outbox that cannot deliver, the
// archive gives its oldest passages as the backlog grows, and the outbox drops nothing while
// the archive holds anything; what the archive keeps is always its newest passages.
func TestArchiveYieldsToTheOutbox(t *testing.T) {
	dir := t.TempDir()
	boxDir, arDir := filepath.Join(dir, "outbox"), filepath.Join(dir, "archive")
	const disk = 12 << 20
	free := func() (int64, error) { return disk - usage(filepath.Join(boxDir, "blobs"), arDir), nil }
	var ar *archive.Archive
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	box, err := outbox.OpenBadger(boxDir, outbox.BadgerOptions{
		Logger:   quiet,
		Limits:   outbox.Limits{ReserveBytes: 1 << 20},
		Announce: outbox.DropsAnnouncer(wire.Topics("s", "g")),
		Free:     func(string) (int64, error) { return free() },
		Size:     func(string) (int64, error) { return disk, nil },
		Yield:    func(need int64) int64 { return ar.Yield(need) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	ar, err = archive.Open(archive.Options{Dir: arDir, Free: free, Reserve: box.Reserve(), MaxBytes: 64 << 20, Location: time.UTC, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	img := bytes.Repeat([]byte{0xd8}, 100<<10)
	yielded := false
	for i := 1; i <= 120; i++ {
		id := fmt.Sprintf("p-%04d", i)
		before := box.Stats().Drops.Total()
		var body []byte
		_, err := box.AppendBatch(func(n uint64) ([]outbox.Message, error) {
			p := wire.Passage{Schema: wire.PassageSchema, ID: id, Seq: n, EndedAt: time.Now().Format(wire.TimeLayout)}
			body, _ = json.Marshal(p)
			return []outbox.Message{
				{Topic: "e/" + id, Payload: img, QoS: 1, Kind: outbox.KindEvidence, Ref: id},
				{Topic: "p", Payload: body, QoS: 1, Kind: outbox.KindPassage, Ref: id},
			}, nil
		})
		if err != nil {
			t.Fatalf("passage %d: %v", i, err)
		}
		dropped := box.Stats().Drops.Total() > before
		if left := ar.Stats().Passages; dropped && left > 0 {
			t.Fatalf("passage %d: the outbox dropped while the archive still held %d passages", i, left)
		}
		var p wire.Passage
		_ = json.Unmarshal(body, &p)
		_ = ar.Put(p, body, []archive.File{{Name: "wheels.jpg", Data: img}})
		st := ar.Stats()
		yielded = yielded || st.Pruned.Disk > 0
		// The archive keeps its newest passages: a run ending with the one just put.
		recs, err := archive.Find(arDir, archive.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for j := 1; j < len(recs); j++ {
			if recs[j].Seq != recs[j-1].Seq+1 {
				t.Fatalf("passage %d: the archive kept seqs %d then %d: not the oldest first out", i, recs[j-1].Seq, recs[j].Seq)
			}
		}
		if dropped {
			break // the outbox itself fills the disk now: its own policy applies
		}
	}
	if !yielded {
		t.Errorf("the archive never yielded: %+v, outbox %+v", ar.Stats(), box.Stats())
	}
}
