package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// keysBelow counts the keys of prefix with a seq below head, garbage or not.
func keysBelow(t *testing.T, b *Badger, prefix []byte, head uint64) int {
	t.Helper()
	n := 0
	if err := b.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = prefix
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if s, ok := keySeq(prefix, it.Item().Key()); ok && s < head {
				n++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func appendN(t *testing.T, box Outbox, n int, kind Kind) []uint64 {
	t.Helper()
	var seqs []uint64
	for i := range n {
		s, err := box.Append(Message{Topic: "sitegate/v1/s/g/passage", Payload: []byte(fmt.Sprintf("%0200d", i)), QoS: 1, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s...)
	}
	return seqs
}

// TestHeadPointerDelete: deleting the head of the FIFO advances the head without a tombstone per
// key; nothing below the head is ever read again (Peek, Stats, a reopen), entries deleted out of
// order are looked through, and collect removes the garbage keys once the head is synced.
func TestHeadPointerDelete(t *testing.T) {
	dir := t.TempDir()
	box, err := OpenBadger(dir, BadgerOptions{CheckInterval: time.Hour, GCInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	seqs := appendN(t, box, 10, KindPassage)
	ev := appendN(t, box, 2, KindEvidence)
	seqs = append(seqs, ev...)
	// Out of order first: 4 and 5 are behind live entries and get tombstones.
	if err := box.Delete(seqs[4], seqs[5]); err != nil {
		t.Fatal(err)
	}
	if got := box.Stats(); got.Depth != 10 || got.OldestSeq != seqs[0] {
		t.Fatalf("after out-of-order delete: %+v", got)
	}
	// Now 0..3 in order: the head runs through the hole to 6.
	if err := box.Delete(seqs[0], seqs[1], seqs[2], seqs[3]); err != nil {
		t.Fatal(err)
	}
	if got := box.Stats(); got.Depth != 6 || got.OldestSeq != seqs[6] {
		t.Fatalf("after in-order delete: %+v, want head %d", got, seqs[6])
	}
	if n := keysBelow(t, box, msgPrefix, seqs[6]); n != 4 {
		t.Errorf("%d message keys left below the head, want the 4 deleted in order (garbage)", n)
	}
	for _, after := range []uint64{0, seqs[2]} {
		es, err := box.Peek(after, 100)
		if err != nil || len(es) != 6 || es[0].Seq != seqs[6] {
			t.Fatalf("Peek(%d): %d entries from %v, %v", after, len(es), es, err)
		}
	}
	// A delete of garbage, or of a seq deleted before, changes nothing.
	if err := box.Delete(seqs[0], seqs[4]); err != nil {
		t.Fatal(err)
	}
	if got := box.Stats(); got.Depth != 6 {
		t.Fatalf("deleting garbage again changed the depth: %+v", got)
	}
	before := box.Stats()
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	box, err = OpenBadger(dir, BadgerOptions{CheckInterval: time.Hour, GCInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if got := box.Stats(); got != before {
		t.Fatalf("Stats after reopen = %+v, want %+v", got, before)
	}
	es, err := box.Peek(0, 100)
	if err != nil || len(es) != 6 || es[0].Seq != seqs[6] {
		t.Fatalf("Peek after reopen: %d entries, %v", len(es), err)
	}
	ds, err := box.List(0, 100)
	if err != nil || len(ds) != 6 {
		t.Fatalf("List: %v %v", ds, err)
	}
	// Drain the rest: the head reaches next, and collect (kicked by the empty outbox) removes
	// every key below it.
	rest := make([]uint64, len(es))
	for i, e := range es {
		rest[i] = e.Seq
	}
	if err := box.Delete(rest...); err != nil {
		t.Fatal(err)
	}
	if got := box.Stats(); got.Depth != 0 || got.Bytes != 0 {
		t.Fatalf("after draining: %+v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		box.wmu.Lock()
		head := box.st.head
		box.wmu.Unlock()
		n := keysBelow(t, box, msgPrefix, head) + keysBelow(t, box, idxPrefix, head) + keysBelow(t, box, evPrefix, head)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d garbage keys left below the head %d", n, head)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s, err := box.Append(Message{Topic: "t", Payload: []byte("after"), QoS: 1}); err != nil || s[0] != seqs[len(seqs)-1]+1 {
		t.Fatalf("append after the drain: %v %v", s, err)
	}
	if es, err := box.Peek(0, 10); err != nil || len(es) != 1 || string(es[0].Payload) != "after" {
		t.Fatalf("Peek after the drain: %v %v", es, err)
	}
}

// TestHeadPointerBlobsAndSegments: a blob and a segment whose entries leave by the head are
// removed once the head is synced, as after a delete by tombstone.
func TestHeadPointerBlobsAndSegments(t *testing.T) {
	dir := t.TempDir()
	box := openBadger(t, dir)
	img := make([]byte, 8<<10)
	s, err := box.AppendBatch(func(uint64) ([]Message, error) {
		return []Message{{Topic: "e", Payload: img, QoS: 1, Kind: KindEvidence}, {Topic: "p", Payload: make([]byte, 600), QoS: 1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := box.Delete(s...); err != nil {
		t.Fatal(err)
	}
	// The next append syncs the deletes and removes the file.
	if _, err := box.Append(Message{Topic: "t", Payload: []byte("x"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if n := len(listDir(t, blobPath(dir))); n != 0 {
		t.Errorf("%d blob files left after their entry was deleted by the head", n)
	}
	box.wmu.Lock()
	live := box.segs.live
	box.wmu.Unlock()
	for id, n := range live {
		if n != 0 {
			t.Errorf("segment %d counts %d live entries, want 0", id, n)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestHeadPointerDropSkipsGarbage: the bounds look for the oldest evidence from the head, so an
// evidence entry deleted by the head is not dropped (nor counted) again.
func TestHeadPointerDropSkipsGarbage(t *testing.T) {
	box := openBadger(t, t.TempDir())
	ev := appendN(t, box, 2, KindEvidence)
	ps := appendN(t, box, 2, KindPassage)
	if err := box.Delete(ev...); err != nil {
		t.Fatal(err)
	}
	if n := keysBelow(t, box, evPrefix, ps[0]); n != 2 {
		t.Fatalf("%d evidence keys below the head, want the 2 garbage ones", n)
	}
	box.wmu.Lock()
	err := box.dropOldest(ReasonMaxBytes, 1, false)
	box.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	st := box.Stats()
	if st.Drops.Evidence != 0 || st.Drops.Passages != 1 || st.Depth != 1 || st.OldestSeq != ps[1] {
		t.Fatalf("after dropping 1 byte: %+v, want the oldest passage dropped and no evidence", st)
	}
}

// TestPeekCacheForget checks the peek cache's two kinds of forgetting: a delete at the head
// leaves a Peek that overlapped it free to remember what it read, less what the delete removed
// (below the floor); a delete out of order or a drop makes such a Peek remember nothing.
func TestPeekCacheForget(t *testing.T) {
	ms := func(seqs ...uint64) []meta {
		var out []meta
		for _, s := range seqs {
			out = append(out, meta{seq: s, size: int64(s)})
		}
		return out
	}
	var floor atomic.Uint64
	var c peekCache

	g := c.generation()
	floor.Store(3) // raised by the delete of 1 and 2 before its commit
	c.forget([]uint64{1, 2}, true)
	c.add(g, ms(1, 2, 3, 4), &floor)
	for seq, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true} {
		if _, ok := c.get(seq); ok != want {
			t.Errorf("after a delete at the head: %d cached %v, want %v", seq, ok, want)
		}
	}

	g = c.generation()
	c.forget([]uint64{6}, false)
	c.add(g, ms(5, 6, 7), &floor)
	for _, seq := range []uint64{5, 6, 7} {
		if _, ok := c.get(seq); ok {
			t.Errorf("after a delete out of order: %d cached", seq)
		}
	}
	if x, ok := c.get(4); !ok || x.size != 4 {
		t.Errorf("4: %v %v, want what was added before", x, ok)
	}
}
