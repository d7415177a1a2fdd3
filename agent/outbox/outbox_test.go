package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testOutbox is the conformance suite every Outbox implementation must pass.
func testOutbox(t *testing.T, open func(t *testing.T) Outbox) {
	msg := func(topic, payload string) Message {
		return Message{Topic: topic, Payload: []byte(payload), QoS: 1}
	}
	batch := func(msgs ...Message) func(uint64) ([]Message, error) {
		return func(uint64) ([]Message, error) { return msgs, nil }
	}
	mustAppend := func(t *testing.T, box Outbox, msgs ...Message) []uint64 {
		t.Helper()
		seqs, err := box.AppendBatch(batch(msgs...))
		if err != nil {
			t.Fatalf("AppendBatch: %v", err)
		}
		if len(seqs) != len(msgs) {
			t.Fatalf("AppendBatch returned %d seqs for %d messages", len(seqs), len(msgs))
		}
		return seqs
	}
	mustPeek := func(t *testing.T, box Outbox, after uint64, max int) []Entry {
		t.Helper()
		es, err := box.Peek(after, max)
		if err != nil {
			t.Fatalf("Peek(%d, %d): %v", after, max, err)
		}
		return es
	}

	t.Run("fifo", func(t *testing.T) {
		box := open(t)
		want := []Message{
			msg("a/evidence/1", "jpeg-1"),
			{Topic: "a/passage", Payload: []byte(`{"seq":1}`), QoS: 1},
			{Topic: "a/status", Payload: []byte("online"), QoS: 0, Retained: true},
			{Topic: "a/empty", QoS: 2},
		}
		var seqs []uint64
		seqs = append(seqs, mustAppend(t, box, want[0], want[1])...)
		seqs = append(seqs, mustAppend(t, box, want[2])...)
		seqs = append(seqs, mustAppend(t, box, want[3])...)
		got := mustPeek(t, box, 0, 100)
		if len(got) != len(want) {
			t.Fatalf("Peek returned %d entries, want %d", len(got), len(want))
		}
		for i, e := range got {
			if e.Seq != seqs[i] {
				t.Errorf("entry %d: seq %d, want %d", i, e.Seq, seqs[i])
			}
			if i > 0 && e.Seq <= got[i-1].Seq {
				t.Errorf("entry %d: seq %d not after %d", i, e.Seq, got[i-1].Seq)
			}
			w := want[i]
			if e.Topic != w.Topic || !bytes.Equal(e.Payload, w.Payload) || e.QoS != w.QoS || e.Retained != w.Retained {
				t.Errorf("entry %d: got %+v, want %+v", i, e.Message, w)
			}
		}
	})

	t.Run("append copies payload", func(t *testing.T) {
		box := open(t)
		p := []byte("original")
		mustAppend(t, box, Message{Topic: "t", Payload: p, QoS: 1})
		copy(p, "mutated!")
		if got := mustPeek(t, box, 0, 1); string(got[0].Payload) != "original" {
			t.Errorf("payload = %q, want it unaffected by the caller's buffer", got[0].Payload)
		}
	})

	t.Run("batch numbers gap-free and build error stores nothing", func(t *testing.T) {
		box := open(t)
		var seen []uint64
		for i := range 5 {
			fail := i == 2 || i == 3
			_, err := box.AppendBatch(func(n uint64) ([]Message, error) {
				if fail {
					return []Message{msg("x", "never")}, errors.New("no evidence")
				}
				seen = append(seen, n)
				return []Message{msg("t", fmt.Sprintf("batch %d", n))}, nil
			})
			if fail != (err != nil) {
				t.Fatalf("append %d: err = %v, want failure %v", i, err, fail)
			}
		}
		if want := []uint64{1, 2, 3}; fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("batch numbers %v, want %v", seen, want)
		}
		got := mustPeek(t, box, 0, 100)
		if len(got) != 3 {
			t.Fatalf("%d entries stored, want 3", len(got))
		}
		for i, e := range got {
			if want := fmt.Sprintf("batch %d", i+1); string(e.Payload) != want {
				t.Errorf("entry %d = %q, want %q", i, e.Payload, want)
			}
		}
		if s := box.Stats(); s.Batches != 3 || s.Depth != 3 {
			t.Errorf("Stats = %+v, want 3 batches, depth 3", s)
		}
	})

	t.Run("append takes no batch number", func(t *testing.T) {
		box := open(t)
		var seen []uint64
		batch := func() {
			t.Helper()
			if _, err := box.AppendBatch(func(n uint64) ([]Message, error) {
				seen = append(seen, n)
				return []Message{msg("passage", fmt.Sprintf("batch %d", n))}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		batch()
		seqs, err := box.Append(msg("decision", "a"), msg("decision", "b"))
		if err != nil || len(seqs) != 2 || seqs[0] == 0 || seqs[1] != seqs[0]+1 {
			t.Fatalf("Append = %v, %v", seqs, err)
		}
		batch()
		if fmt.Sprint(seen) != "[1 2]" {
			t.Errorf("batch numbers %v around an Append, want [1 2]", seen)
		}
		var order []string
		for _, e := range mustPeek(t, box, 0, 10) {
			order = append(order, string(e.Payload))
		}
		if got := fmt.Sprint(order); got != "[batch 1 a b batch 2]" {
			t.Errorf("stored %s", got)
		}
		if s := box.Stats(); s.Batches != 2 || s.Depth != 4 {
			t.Errorf("Stats = %+v, want 2 batches, depth 4", s)
		}
	})

	t.Run("invalid message rejects whole batch", func(t *testing.T) {
		box := open(t)
		_, err := box.AppendBatch(batch(msg("ok", "1"), Message{Topic: "bad", QoS: 3}))
		if err == nil {
			t.Fatal("AppendBatch accepted QoS 3")
		}
		if s := box.Stats(); s.Depth != 0 || s.Batches != 0 {
			t.Errorf("Stats after rejected batch = %+v, want empty", s)
		}
	})

	t.Run("peek after and max", func(t *testing.T) {
		box := open(t)
		var seqs []uint64
		for i := range 6 {
			seqs = append(seqs, mustAppend(t, box, msg("t", fmt.Sprint(i)))...)
		}
		tests := []struct {
			after uint64
			max   int
			want  []uint64
		}{
			{0, 2, seqs[:2]},
			{seqs[1], 3, seqs[2:5]},
			{seqs[4], 10, seqs[5:]},
			{seqs[5], 10, nil},
			{0, 0, nil},
			{^uint64(0), 10, nil},
		}
		for _, tt := range tests {
			got := mustPeek(t, box, tt.after, tt.max)
			var gs []uint64
			for _, e := range got {
				gs = append(gs, e.Seq)
			}
			if fmt.Sprint(gs) != fmt.Sprint(tt.want) {
				t.Errorf("Peek(%d, %d) = %v, want %v", tt.after, tt.max, gs, tt.want)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		box := open(t)
		seqs := mustAppend(t, box, msg("t", "a"), msg("t", "bb"), msg("t", "ccc"), msg("t", "dddd"))
		// Out of order, as PUBACKs may arrive.
		for _, s := range []uint64{seqs[1], seqs[0]} {
			if err := box.Delete(s); err != nil {
				t.Fatalf("Delete(%d): %v", s, err)
			}
		}
		if err := box.Delete(seqs[0]); err != nil {
			t.Errorf("Delete of a deleted entry: %v", err)
		}
		if err := box.Delete(seqs[3] + 1000); err != nil {
			t.Errorf("Delete of a never-stored entry: %v", err)
		}
		got := mustPeek(t, box, 0, 10)
		if len(got) != 2 || got[0].Seq != seqs[2] || got[1].Seq != seqs[3] {
			t.Fatalf("after deletes Peek = %v, want seqs %v", got, seqs[2:])
		}
		if s := box.Stats(); s.Depth != 2 || s.OldestSeq != seqs[2] || s.Bytes != int64(1+3+1+4) {
			t.Errorf("Stats = %+v, want depth 2, oldest %d, bytes 9", s, seqs[2])
		}
	})

	t.Run("stats", func(t *testing.T) {
		box := open(t)
		if s := box.Stats(); s != (Stats{}) {
			t.Errorf("empty Stats = %+v", s)
		}
		seqs := mustAppend(t, box, msg("ab", "123"), msg("c", ""))
		mustAppend(t, box, msg("de", "4567"))
		want := Stats{Depth: 3, Bytes: 5 + 1 + 6, OldestSeq: seqs[0], Batches: 2}
		s := box.Stats()
		if age := time.Since(time.UnixMilli(s.OldestUnixMs)); age < 0 || age > time.Hour {
			t.Errorf("Stats.OldestUnixMs = %d, want about now", s.OldestUnixMs)
		}
		if s.OldestUnixMs = 0; s != want {
			t.Errorf("Stats = %+v, want %+v", s, want)
		}
		for _, e := range mustPeek(t, box, 0, 10) {
			if err := box.Delete(e.Seq); err != nil {
				t.Fatal(err)
			}
		}
		want = Stats{Batches: 2}
		if s := box.Stats(); s != want {
			t.Errorf("drained Stats = %+v, want %+v", s, want)
		}
	})

	t.Run("notify", func(t *testing.T) {
		box := open(t)
		// Appends must not block on a channel nobody reads.
		for range 3 {
			mustAppend(t, box, msg("t", "x"))
		}
		select {
		case <-box.Notify():
		case <-time.After(5 * time.Second):
			t.Fatal("no notification after append")
		}
		select {
		case <-box.Notify():
			t.Fatal("second notification without a new append")
		default:
		}
		mustAppend(t, box, msg("t", "y"))
		select {
		case <-box.Notify():
		case <-time.After(5 * time.Second):
			t.Fatal("no notification after second append")
		}
	})

	t.Run("concurrent appends and deletes", func(t *testing.T) {
		box := open(t)
		const writers, perWriter = 4, 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		batches := map[uint64]bool{}
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					_, err := box.AppendBatch(func(n uint64) ([]Message, error) {
						mu.Lock()
						batches[n] = true
						mu.Unlock()
						return []Message{msg("t", fmt.Sprintf("%d-%d-a", w, i)), msg("t", fmt.Sprintf("%d-%d-b", w, i))}, nil
					})
					if err != nil {
						t.Errorf("AppendBatch: %v", err)
						return
					}
				}
			})
		}
		deleted := 0
		var dwg sync.WaitGroup
		stop := make(chan struct{})
		dwg.Go(func() {
			var after uint64
			for {
				es, err := box.Peek(after, 16)
				if err != nil {
					t.Errorf("Peek: %v", err)
					return
				}
				for _, e := range es {
					if e.Seq <= after {
						t.Errorf("Peek(%d) returned seq %d", after, e.Seq)
					}
					after = e.Seq
					if err := box.Delete(e.Seq); err != nil {
						t.Errorf("Delete: %v", err)
					}
					deleted++
				}
				if len(es) == 0 {
					select {
					case <-stop:
						return
					case <-box.Notify():
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
		})
		wg.Wait()
		// Drain what is left, then stop the deleter.
		deadline := time.Now().Add(30 * time.Second)
		for box.Stats().Depth > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		close(stop)
		dwg.Wait()
		if deleted != writers*perWriter*2 {
			t.Errorf("deleted %d entries, want %d", deleted, writers*perWriter*2)
		}
		if len(batches) != writers*perWriter {
			t.Errorf("%d distinct batch numbers, want %d", len(batches), writers*perWriter)
		}
		for n := uint64(1); n <= writers*perWriter; n++ {
			if !batches[n] {
				t.Errorf("batch number %d missing", n)
			}
		}
		if s := box.Stats(); s.Depth != 0 || s.Bytes != 0 || s.OldestSeq != 0 {
			t.Errorf("Stats after drain = %+v", s)
		}
	})

	t.Run("closed", func(t *testing.T) {
		box := open(t)
		mustAppend(t, box, msg("t", "x"))
		if err := box.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := box.AppendBatch(batch(msg("t", "y"))); !errors.Is(err, ErrClosed) {
			t.Errorf("AppendBatch after Close: %v", err)
		}
		if _, err := box.Peek(0, 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Peek after Close: %v", err)
		}
		if err := box.Delete(1); !errors.Is(err, ErrClosed) {
			t.Errorf("Delete after Close: %v", err)
		}
		if err := box.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
	})
}

func closeOnCleanup(t *testing.T, box Outbox) {
	t.Cleanup(func() {
		if err := box.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
}

func TestMemory(t *testing.T) {
	testOutbox(t, func(t *testing.T) Outbox {
		box := NewMemory()
		closeOnCleanup(t, box)
		return box
	})
}

func TestBadger(t *testing.T) {
	testOutbox(t, func(t *testing.T) Outbox {
		return openBadger(t, t.TempDir())
	})
}

func openBadger(t testing.TB, dir string) *Badger {
	t.Helper()
	box, err := OpenBadger(dir, BadgerOptions{})
	if err != nil {
		t.Fatalf("OpenBadger: %v", err)
	}
	t.Cleanup(func() {
		if err := box.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return box
}
