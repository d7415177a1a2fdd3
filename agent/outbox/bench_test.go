package outbox

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func benchOutboxes(b *testing.B, run func(b *testing.B, box Outbox)) {
	b.Run("memory", func(b *testing.B) {
		box := NewMemory()
		b.Cleanup(func() { _ = box.Close() })
		run(b, box)
	})
	b.Run("badger", func(b *testing.B) {
		run(b, openBadger(b, b.TempDir()))
	})
}

func passageBatch() func(uint64) ([]Message, error) {
	passage := make([]byte, 1<<10)
	evidence := make([]byte, 50<<10)
	for i := range evidence {
		evidence[i] = byte(i * 31)
	}
	return func(uint64) ([]Message, error) {
		return []Message{
			{Topic: "sitegate/v1/s/g/evidence/p/wheels.jpg", Payload: evidence, QoS: 1},
			{Topic: "sitegate/v1/s/g/passage", Payload: passage, QoS: 1},
		}, nil
	}
}

// BenchmarkAppendBatch appends one passage (1 KiB) with its evidence (50 KiB) per op.
func BenchmarkAppendBatch(b *testing.B) {
	benchOutboxes(b, func(b *testing.B, box Outbox) {
		build := passageBatch()
		b.SetBytes(51 << 10)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := box.AppendBatch(build); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDrain peeks and deletes one passage batch (two entries) per op, as the uplink does.
// The outbox is refilled in rounds, outside the timer, so memory stays bounded.
func BenchmarkDrain(b *testing.B) {
	benchOutboxes(b, func(b *testing.B, box Outbox) {
		build := passageBatch()
		b.SetBytes(51 << 10)
		b.ReportAllocs()
		var after uint64
		for done := 0; done < b.N; {
			b.StopTimer()
			round := min(256, b.N-done)
			for range round {
				if _, err := box.AppendBatch(build); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			for range round {
				es, err := box.Peek(after, 2)
				if err != nil || len(es) != 2 {
					b.Fatalf("Peek: %d entries, %v", len(es), err)
				}
				for _, e := range es {
					if err := box.Delete(e.Seq); err != nil {
						b.Fatal(err)
					}
					after = e.Seq
				}
			}
			done += round
		}
	})
}

// BenchmarkEnqueuePassage appends one passage (about 1 KiB, no evidence) per op, each commit
// synced: the rate a lane can store passages at.
func BenchmarkEnqueuePassage(b *testing.B) {
	box := openBadger(b, b.TempDir())
	passage := make([]byte, 1<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
			return []Message{{Topic: "sitegate/v1/s/g/passage", Payload: passage, QoS: 1}}, nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "passages/s")
}

// BenchmarkDiskPerPassage stores 2,000 passages, with and without a 50 KiB evidence image,
// closes the store and reports the disk it occupies per passage against the payload bytes.
func BenchmarkDiskPerPassage(b *testing.B) {
	for _, ev := range []int{0, 50 << 10} {
		b.Run(fmt.Sprintf("evidence=%dKiB", ev>>10), func(b *testing.B) {
			const n = 2000
			for b.Loop() {
				dir := b.TempDir()
				box, err := OpenBadger(dir, BadgerOptions{})
				if err != nil {
					b.Fatal(err)
				}
				passage := make([]byte, 1<<10)
				evidence := make([]byte, ev)
				var payload int64
				for range n {
					if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
						ms := []Message{{Topic: "sitegate/v1/s/g/passage", Payload: passage, QoS: 1}}
						if ev > 0 {
							ms = append(ms, Message{Topic: "sitegate/v1/s/g/evidence/p/wheels.jpg", Payload: evidence, QoS: 1, Kind: KindEvidence})
						}
						for _, m := range ms {
							payload += int64(len(m.Payload))
						}
						return ms, nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				if err := box.Close(); err != nil {
					b.Fatal(err)
				}
				disk := DiskUsage(dir)
				b.ReportMetric(float64(disk)/n, "disk-B/passage")
				b.ReportMetric(float64(payload)/n, "payload-B/passage")
				b.ReportMetric(float64(disk)/float64(payload), "disk/payload")
			}
		})
	}
}

// BenchmarkDrainBacklog reads and deletes a 20,000-passage backlog the way the uplink drains
// one (reads of up to 128 entries, deletes of 128 acknowledged entries) and reports the
// outbox's cost per message, which is what a drain costs the gateway beyond the MQTT client.
func BenchmarkDrainBacklog(b *testing.B) {
	const n, run = 20_000, 128
	payload := bytes.Repeat([]byte("x"), 900)
	for b.Loop() {
		b.StopTimer()
		box := openBadger(b, b.TempDir())
		for i := 0; i < n; i += 500 {
			if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
				ms := make([]Message, 500)
				for j := range ms {
					ms[j] = Message{Topic: "sitegate/v1/s/g/passage", Payload: payload, QoS: 1}
				}
				return ms, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		var after uint64
		for {
			es, err := box.Peek(after, run)
			if err != nil {
				b.Fatal(err)
			}
			if len(es) == 0 {
				break
			}
			seqs := make([]uint64, len(es))
			for i, e := range es {
				seqs[i] = e.Seq
			}
			after = seqs[len(seqs)-1]
			if err := box.Delete(seqs...); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if d := box.Stats().Depth; d != 0 {
			b.Fatalf("depth %d after the drain", d)
		}
		box.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
}

// BenchmarkCollect measures what the head pointer defers: the background removal of the keys a
// drain of 20,000 passages left below the head (it starts when the outbox becomes empty). It
// reports the wall time per entry from the last delete until no key is left below the head.
func BenchmarkCollect(b *testing.B) {
	const n = 20_000
	payload := bytes.Repeat([]byte("x"), 900)
	for b.Loop() {
		b.StopTimer()
		box := openBadger(b, b.TempDir())
		for i := 0; i < n; i += 500 {
			if _, err := box.AppendBatch(func(uint64) ([]Message, error) {
				ms := make([]Message, 500)
				for j := range ms {
					ms[j] = Message{Topic: "sitegate/v1/s/g/passage", Payload: payload, QoS: 1}
				}
				return ms, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		es, err := box.Peek(0, n)
		if err != nil || len(es) != n {
			b.Fatalf("Peek: %d, %v", len(es), err)
		}
		seqs := make([]uint64, n)
		for i, e := range es {
			seqs[i] = e.Seq
		}
		b.StartTimer()
		start := time.Now()
		if err := box.Delete(seqs...); err != nil {
			b.Fatal(err)
		}
		deleted := time.Since(start)
		for garbage(b, box) > 0 { // polled seldom: the count reads every key
			time.Sleep(20 * time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(float64(deleted.Microseconds())/n, "delete-us/msg")
		b.ReportMetric(float64((time.Since(start)-deleted).Microseconds())/n, "collect-us/msg")
		box.Close()
		b.StartTimer()
	}
}

// garbage counts the keys below the head.
func garbage(tb testing.TB, b *Badger) int {
	b.smu.Lock()
	head := b.st.head
	b.smu.Unlock()
	n := 0
	if err := b.db.View(func(txn *badger.Txn) error {
		for _, p := range [][]byte{msgPrefix, idxPrefix, evPrefix} {
			o := badger.DefaultIteratorOptions
			o.PrefetchValues = false
			o.Prefix = p
			it := txn.NewIterator(o)
			for it.Rewind(); it.Valid(); it.Next() {
				if s, ok := keySeq(p, it.Item().Key()); ok && s < head {
					n++
				}
			}
			it.Close()
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return n
}
