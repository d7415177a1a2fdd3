package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestBadgerReopen(t *testing.T) {
	dir := t.TempDir()
	box := openBadger(t, dir)
	var seqs []uint64
	for i := range 4 {
		s, err := box.AppendBatch(func(n uint64) ([]Message, error) {
			return []Message{{Topic: "t", Payload: []byte(fmt.Sprintf("b%d-%d", n, i)), QoS: 1}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s...)
	}
	if err := box.Delete(seqs[0]); err != nil {
		t.Fatal(err)
	}
	before := box.Stats()
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}

	box = openBadger(t, dir)
	if got := box.Stats(); got != before {
		t.Errorf("Stats after reopen = %+v, want %+v", got, before)
	}
	es, err := box.Peek(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[0].Seq != seqs[1] || string(es[2].Payload) != "b4-3" {
		t.Fatalf("entries after reopen = %+v", es)
	}
	var n5 uint64
	s, err := box.AppendBatch(func(n uint64) ([]Message, error) {
		n5 = n
		return []Message{{Topic: "t", Payload: []byte("after"), QoS: 1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n5 != 5 {
		t.Errorf("batch number after reopen = %d, want 5", n5)
	}
	if s[0] != seqs[3]+1 {
		t.Errorf("seq after reopen = %d, want %d", s[0], seqs[3]+1)
	}

	// Drain completely, reopen: seqs must still not be reused.
	for _, e := range append(es, Entry{Seq: s[0]}) {
		if err := box.Delete(e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	box = openBadger(t, dir)
	if st := box.Stats(); st.Depth != 0 || st.Batches != 5 {
		t.Errorf("Stats after drained reopen = %+v", st)
	}
	s2, err := box.AppendBatch(func(uint64) ([]Message, error) { return []Message{{Topic: "t"}}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if s2[0] != s[0]+1 {
		t.Errorf("seq after drained reopen = %d, want %d", s2[0], s[0]+1)
	}
}

func TestBadgerLargeValue(t *testing.T) {
	dir := t.TempDir()
	box := openBadger(t, dir)
	big := make([]byte, 3<<20/2) // 1.5 MiB
	for i := range big {
		big[i] = byte(i * 7)
	}
	if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
		return []Message{{Topic: "e/big.jpg", Payload: big, QoS: 1}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	box = openBadger(t, dir)
	es, err := box.Peek(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || !bytes.Equal(es[0].Payload, big) {
		t.Fatalf("large value did not round-trip (%d entries)", len(es))
	}
	if st := box.Stats(); st.Bytes != int64(len(big)+len("e/big.jpg")) {
		t.Errorf("Stats.Bytes = %d", st.Bytes)
	}
}

func TestBadgerCorruptEntryDropped(t *testing.T) {
	box := openBadger(t, t.TempDir())
	seqs, err := box.AppendBatch(func(uint64) ([]Message, error) {
		return []Message{{Topic: "a", Payload: []byte("1")}, {Topic: "b", Payload: []byte("2")}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := box.db.Update(func(txn *badger.Txn) error {
		return txn.Set(seqKey(msgPrefix, seqs[0]), []byte{9, 9, 9})
	}); err != nil {
		t.Fatal(err)
	}
	es, err := box.Peek(0, 10)
	if err != nil {
		t.Fatalf("Peek: %v", err)
	}
	if len(es) != 1 || es[0].Seq != seqs[1] {
		t.Fatalf("Peek = %+v, want only seq %d", es, seqs[1])
	}
	if st := box.Stats(); st.Depth != 1 || st.OldestSeq != seqs[1] {
		t.Errorf("Stats = %+v, want the corrupt entry gone", st)
	}
}

func TestBadgerOpenError(t *testing.T) {
	dir := t.TempDir()
	box := openBadger(t, dir)
	// A second open of the same directory must fail (Badger holds a directory lock), not panic.
	if _, err := OpenBadger(dir, BadgerOptions{}); err == nil {
		t.Fatal("second OpenBadger of a directory in use succeeded")
	}
	if err := box.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

// TestBadgerGCLoop runs value-log GC as often as it can while the store is written, then closes
// and reopens: GC must neither race with writers or Close nor lose live entries.
func TestBadgerGCLoop(t *testing.T) {
	dir := t.TempDir()
	box, err := OpenBadger(dir, BadgerOptions{GCInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	jpeg := bytes.Repeat([]byte{0xff, 0xd8}, 50<<10)
	var seqs []uint64
	for range 20 {
		s, err := box.AppendBatch(func(uint64) ([]Message, error) {
			return []Message{{Topic: "e", Payload: jpeg, QoS: 1}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s...)
	}
	for _, s := range seqs[:15] {
		if err := box.Delete(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	box = openBadger(t, dir)
	es, err := box.Peek(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 5 || es[0].Seq != seqs[15] || !bytes.Equal(es[4].Payload, jpeg) {
		t.Fatalf("after GC and reopen: %d entries", len(es))
	}
}

// TestBadgerDeleteMany: thousands of acknowledged entries deleted in one call (an uplink with a
// large window on a slow gateway gathers that many) must not outgrow a Badger transaction.
func TestBadgerDeleteMany(t *testing.T) {
	box := openBadger(t, t.TempDir())
	payload := make([]byte, 1000)
	for i := 0; i < 6000; i += 500 {
		if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
			ms := make([]Message, 500)
			for j := range ms {
				ms[j] = Message{Topic: "sitegate/v1/s/g/passage", Payload: payload, QoS: 1, Ref: "0192f1c2-0000-7000-8000-000000000000"}
			}
			return ms, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := box.Peek(0, 6000)
	if err != nil || len(es) != 6000 {
		t.Fatalf("Peek: %d entries, %v", len(es), err)
	}
	seqs := make([]uint64, len(es))
	for i, e := range es {
		seqs[i] = e.Seq
	}
	if err := box.Delete(seqs...); err != nil {
		t.Fatalf("Delete of %d entries: %v", len(seqs), err)
	}
	if st := box.Stats(); st.Depth != 0 || st.Bytes != 0 {
		t.Fatalf("Stats after deleting everything: %+v", st)
	}
}
