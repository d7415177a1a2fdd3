package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
)

// Reserve fitting: a reserve is at most reserveShare of the file system's size, but not less
// than reserveFloor (or a quarter of a file system smaller than four floors).
const (
	reserveShare = 10 // percent
	reserveFloor = 2 << 20
)

// effectiveReserve is the configured reserve made to fit a file system of total bytes. A
// reserve larger than the file system (the 64 MiB default on a 16 MiB card) would leave every
// append below half the reserve, so every passage would be dropped with megabytes free.
func effectiveReserve(configured, total int64) int64 {
	if configured <= 0 || total <= 0 {
		return configured
	}
	return min(configured, max(total*reserveShare/100, min(reserveFloor, total/4)))
}

// fitReserve decides the reserve of the store in dir at open and logs it once with the
// figures; a configured reserve that does not fit the file system is a warning.
func fitReserve(dir string, o BadgerOptions, log *slog.Logger) int64 {
	r := o.Limits.ReserveBytes
	if r <= 0 {
		return r
	}
	// The store's directory may not exist yet: its file system is its parent's.
	probe := dir
	for {
		if _, err := os.Stat(probe); err == nil || filepath.Dir(probe) == probe {
			break
		}
		probe = filepath.Dir(probe)
	}
	total, err := o.Size(probe)
	if err != nil || total <= 0 {
		log.Warn("file system size unknown; disk reserve as configured", "reserve_bytes", r, "err", err)
		return r
	}
	free, _ := o.Free(probe)
	eff := effectiveReserve(r, total)
	args := []any{"reserve_bytes", eff, "configured_bytes", r, "fs_bytes", total, "free_bytes", free,
		"figures", fmt.Sprintf("reserve %s of configured %s, file system %s, %s free", mib(eff), mib(r), mib(total), mib(free))}
	if eff < r {
		log.Warn("store.reserve_bytes does not fit the store's file system; using a smaller disk reserve", args...)
	} else {
		log.Info("disk reserve", args...)
	}
	return eff
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

// dropChunk bounds the entries dropped in one transaction (and named by one announcement), well
// under Badger's transaction size limit for the smallest memtables.
const dropChunk = 256

// enforceLocked applies the bounds before incoming bytes (blobIn of them in files) are
// appended, in this order: max_age drops everything older than the bound (by ageClock, so that
// a clock step does not age the backlog); max_bytes drops the
// oldest evidence, then the oldest passages, down to 90% of the bound; the disk reserve drops
// the oldest evidence files until blobIn fits above the reserve. Each pass of up to dropChunk
// entries is one transaction with its announcement. The caller holds wmu.
func (b *Badger) enforceLocked(incoming, blobIn int64) error {
	lim := b.o.Limits
	if cutoff, ok := b.age.cutoff(b.o.Now(), lim.MaxAge); lim.MaxAge > 0 && ok {
		for {
			var ms []meta
			err := b.db.View(func(txn *badger.Txn) error {
				return scanIndex(txn, b.st.head, func(m meta) bool {
					if m.at > 0 && b.age.appended(m.at) >= cutoff {
						return false
					}
					if m.at > 0 && m.kind != KindAnnouncement {
						ms = append(ms, m)
					}
					return len(ms) < dropChunk
				})
			})
			if err != nil {
				return fmt.Errorf("outbox %s: max_age: %w", b.dir, err)
			}
			if len(ms) == 0 {
				break
			}
			if err := b.dropLocked(ReasonMaxAge, ms); err != nil {
				return err
			}
		}
	}
	if mx := lim.MaxBytes; mx > 0 && b.st.bytes+incoming > mx {
		need := b.st.bytes + incoming - mx + mx/10
		if err := b.dropOldest(ReasonMaxBytes, need, false); err != nil {
			return err
		}
	}
	if r := lim.ReserveBytes; r > 0 {
		free, err := b.o.Free(b.dir)
		if err != nil {
			return fmt.Errorf("outbox %s: free space: %w", b.dir, err)
		}
		need := r + blobIn - free
		if need > 0 && b.o.Yield != nil && b.o.Yield(need+r/8) > 0 {
			// The archive beside the store gave room: nothing of the outbox goes for it.
			if free, err = b.o.Free(b.dir); err != nil {
				return fmt.Errorf("outbox %s: free space: %w", b.dir, err)
			}
			need = r + blobIn - free
		}
		if need > 0 {
			// An eighth of the reserve more, so that a long outage drops in passes, not one
			// announcement per new passage.
			if err := b.dropOldest(ReasonDisk, need+r/8, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropOldest drops the oldest evidence, then (unless filesOnly, for the disk, where only
// evidence files free space at once) the oldest passages, until need bytes are gone.
func (b *Badger) dropOldest(reason string, need int64, filesOnly bool) error {
	for need > 0 {
		var ms []meta
		var got int64
		err := b.db.View(func(txn *badger.Txn) error {
			io := badger.DefaultIteratorOptions
			io.PrefetchValues = false
			io.Prefix = evPrefix
			it := txn.NewIterator(io)
			defer it.Close()
			for it.Seek(seqKey(evPrefix, b.st.head)); it.Valid() && got < need && len(ms) < dropChunk; it.Next() {
				seq, ok := keySeq(evPrefix, it.Item().Key())
				if !ok {
					continue
				}
				m, ok, err := getMeta(txn, seq)
				if err != nil {
					return err
				}
				if !ok || (filesOnly && !m.blob) {
					continue
				}
				ms = append(ms, m)
				got += m.size
			}
			if filesOnly || got >= need || len(ms) >= dropChunk {
				return nil
			}
			return scanIndex(txn, b.st.head, func(m meta) bool {
				if m.kind == KindPassage {
					ms = append(ms, m)
					got += m.size
				}
				return got < need && len(ms) < dropChunk
			})
		})
		if err != nil {
			return fmt.Errorf("outbox %s: %s: %w", b.dir, reason, err)
		}
		if len(ms) == 0 {
			return nil
		}
		if err := b.dropLocked(reason, ms); err != nil {
			return err
		}
		need -= got
	}
	return nil
}

// dropLocked deletes ms, appends the announcement naming them and updates the counters in one
// transaction, then removes their files. The caller holds wmu.
func (b *Badger) dropLocked(reason string, ms []meta) error {
	if len(ms) == 0 {
		return nil
	}
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	st := b.st
	ds := make([]Dropped, 0, len(ms))
	counts := map[uint64]int64{}
	var blobs []uint64
	headGone := false
	for _, x := range ms {
		d := Dropped{Seq: x.seq, Batch: x.batch, Kind: x.kind, Ref: x.ref, Bytes: x.size}
		if item, err := txn.Get(seqKey(msgPrefix, x.seq)); err == nil {
			_ = item.Value(func(v []byte) error {
				if m, _, err := decodeMessage(v); err == nil {
					d.Topic = m.Topic
				}
				return nil
			})
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("outbox %s: drop %d: %w", b.dir, x.seq, err)
		}
		if err := deleteEntry(txn, x); err != nil {
			return fmt.Errorf("outbox %s: drop %d: %w", b.dir, x.seq, err)
		}
		ds = append(ds, d)
		st.depth--
		st.bytes -= x.size
		countDrop(&st.drops, x.kind, x.size)
		headGone = headGone || x.seq == st.head
		if x.blob {
			blobs = append(blobs, x.seq)
		}
		if x.seg != 0 {
			if err := b.segs.count(txn, counts, x.seg, -1); err != nil {
				return fmt.Errorf("outbox %s: drop %d: %w", b.dir, x.seq, err)
			}
		}
	}
	st.drops.Events++
	if a, ok := b.announcement(reason, ds); ok {
		x := meta{seq: st.next, size: msgSize(a), kind: KindAnnouncement, at: b.o.Now().UnixMilli()}
		if err := setEntry(txn, a, x, nil); err != nil {
			return fmt.Errorf("outbox %s: announce drops: %w", b.dir, err)
		}
		st.next++
		if st.depth == 0 {
			st.head, st.headAt, headGone = x.seq, x.at, false
		}
		st.depth++
		st.bytes += x.size
	}
	if err := txn.Set(metaKey, metaValue(st)); err != nil {
		return fmt.Errorf("outbox %s: drop: %w", b.dir, err)
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("outbox %s: drop: %w", b.dir, err)
	}
	gone := make([]uint64, len(ms))
	for i, x := range ms {
		gone[i] = x.seq
	}
	b.peeked.forget(gone, false)
	b.segs.commit(counts)
	// The drop and its announcement are durable before a file goes.
	if err := b.db.Sync(); err != nil {
		return fmt.Errorf("outbox %s: drop: sync: %w", b.dir, err)
	}
	b.blobs.remove(blobs...)
	if headGone {
		if err := b.findHead(&st); err != nil {
			return err
		}
	}
	b.setState(st)
	b.signal()
	b.log.Warn("messages dropped and announced", "reason", reason, "count", len(ds), "total_dropped", st.drops.Total())
	return nil
}
