package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Key layout. Every message has two keys written in the same transaction: its value under
// msgPrefix+seq and its size under sizePrefix+seq. The size index is tiny and lives in the LSM
// tree, so Stats can be rebuilt and kept exact without reading the (value-log) payloads.
var (
	msgPrefix  = []byte("m/")
	sizePrefix = []byte("s/")
	metaKey    = []byte("meta") // nextSeq(8) | batches(8), big-endian
)

func seqKey(prefix []byte, seq uint64) []byte {
	k := make([]byte, len(prefix)+8)
	copy(k, prefix)
	binary.BigEndian.PutUint64(k[len(prefix):], seq)
	return k
}

func keySeq(prefix, k []byte) (uint64, bool) {
	if len(k) != len(prefix)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}

// BadgerOptions tunes OpenBadger.
type BadgerOptions struct {
	Logger     *slog.Logger  // Badger's warnings and errors go here; default slog.Default()
	GCInterval time.Duration // value-log garbage collection period; default 5m
}

// Badger is the gateway's durable Outbox, stored with Badger in one directory.
type Badger struct {
	dir string
	db  *badger.DB
	log *slog.Logger

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed bool

	wmu     sync.Mutex // serialises writers
	next    uint64     // guarded by wmu
	batches uint64     // guarded by wmu

	smu   sync.Mutex // guards stats
	stats Stats

	notify chan struct{}
	stopGC chan struct{}
	gcDone chan struct{}
}

var _ Outbox = (*Badger)(nil)

// OpenBadger opens (or creates) the outbox stored in dir. The options suit a small arm64 gateway
// with 1 GB of RAM: small memtables and caches, payloads over 1 KiB in the value log, and every
// commit synced to disk.
func OpenBadger(dir string, opts BadgerOptions) (*Badger, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "outbox", "dir", dir)
	if opts.GCInterval <= 0 {
		opts.GCInterval = 5 * time.Minute
	}
	bo := badger.DefaultOptions(dir).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueThreshold(1 << 10).
		WithValueLogFileSize(64 << 20).
		WithBaseTableSize(2 << 20).
		WithNumCompactors(2).
		WithSyncWrites(true).
		WithDetectConflicts(false). // writers are serialised by wmu
		WithMetricsEnabled(false).
		WithLogger(badgerLogger{log})
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: open: %w", dir, err)
	}
	b := &Badger{
		dir:    dir,
		db:     db,
		log:    log,
		next:   1,
		notify: make(chan struct{}, 1),
		stopGC: make(chan struct{}),
		gcDone: make(chan struct{}),
	}
	if err := b.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox %s: load: %w", dir, err)
	}
	go b.gcLoop(opts.GCInterval)
	return b, nil
}

// load reads the counters and rebuilds Stats from the size index, without touching payloads.
func (b *Badger) load() error {
	return b.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if len(v) != 16 {
				return fmt.Errorf("%w: meta is %d bytes", ErrCorrupt, len(v))
			}
			b.next = binary.BigEndian.Uint64(v[:8])
			b.batches = binary.BigEndian.Uint64(v[8:])
		}
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		io.Prefix = sizePrefix
		it := txn.NewIterator(io)
		defer it.Close()
		var last uint64
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			seq, ok := keySeq(sizePrefix, item.Key())
			if !ok {
				continue
			}
			var size int64
			if err := item.Value(func(v []byte) error {
				s, n := binary.Uvarint(v)
				if n <= 0 {
					return fmt.Errorf("%w: size of entry %d", ErrCorrupt, seq)
				}
				size = int64(s)
				return nil
			}); err != nil {
				return err
			}
			if b.stats.Depth == 0 {
				b.stats.OldestSeq = seq
			}
			b.stats.Depth++
			b.stats.Bytes += size
			last = seq
		}
		if b.next <= last {
			b.next = last + 1
		}
		if b.next == 0 {
			b.next = 1
		}
		b.stats.Batches = b.batches
		return nil
	})
}

func (b *Badger) gcLoop(every time.Duration) {
	defer close(b.gcDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stopGC:
			return
		case <-t.C:
		}
		for {
			select {
			case <-b.stopGC:
				return
			default:
			}
			err := b.db.RunValueLogGC(0.5)
			if err == nil {
				continue
			}
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				b.log.Warn("value log GC failed", "err", err)
			}
			break
		}
	}
}

// AppendBatch implements Outbox. The messages, the next sequence number and the batch counter
// are committed, and synced, in one transaction.
func (b *Badger) AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()

	n := b.batches + 1
	msgs, err := build(n)
	if err != nil {
		return nil, fmt.Errorf("outbox: build batch %d: %w", n, err)
	}
	for _, m := range msgs {
		if err := validate(m); err != nil {
			return nil, err
		}
	}
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	seqs := make([]uint64, len(msgs))
	seq := b.next
	var bytes int64
	for i, m := range msgs {
		size := msgSize(m)
		if err := txn.Set(seqKey(msgPrefix, seq), encodeMessage(m)); err != nil {
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
		if err := txn.Set(seqKey(sizePrefix, seq), binary.AppendUvarint(nil, uint64(size))); err != nil {
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
		seqs[i] = seq
		bytes += size
		seq++
	}
	meta := make([]byte, 16)
	binary.BigEndian.PutUint64(meta[:8], seq)
	binary.BigEndian.PutUint64(meta[8:], n)
	if err := txn.Set(metaKey, meta); err != nil {
		return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
	}
	if err := txn.Commit(); err != nil {
		return nil, fmt.Errorf("outbox %s: commit batch %d: %w", b.dir, n, err)
	}
	first := b.next
	b.next = seq
	b.batches = n

	b.smu.Lock()
	if b.stats.Depth == 0 && len(msgs) > 0 {
		b.stats.OldestSeq = first
	}
	b.stats.Depth += len(msgs)
	b.stats.Bytes += bytes
	b.stats.Batches = n
	b.smu.Unlock()

	select {
	case b.notify <- struct{}{}:
	default:
	}
	return seqs, nil
}

// Peek implements Outbox. An entry whose value cannot be decoded is logged and dropped, so one
// damaged record cannot stall the uplink for ever.
func (b *Badger) Peek(after uint64, max int) ([]Entry, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	if max <= 0 || after == math.MaxUint64 {
		return nil, nil
	}
	start := after + 1
	b.smu.Lock()
	depth, oldest := b.stats.Depth, b.stats.OldestSeq
	b.smu.Unlock()
	if depth == 0 {
		return nil, nil
	}
	// Deleted keys below the head linger as tombstones until compaction; start past them.
	start = max64(start, oldest)

	var out []Entry
	var bad []uint64
	err := b.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		io.Prefix = msgPrefix
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(seqKey(msgPrefix, start)); it.Valid() && len(out) < max; it.Next() {
			item := it.Item()
			seq, ok := keySeq(msgPrefix, item.Key())
			if !ok {
				continue
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("entry %d: %w", seq, err)
			}
			m, err := decodeMessage(v)
			if err != nil {
				b.log.Error("dropping undecodable outbox entry", "seq", seq, "bytes", len(v), "err", err)
				bad = append(bad, seq)
				continue
			}
			out = append(out, Entry{Seq: seq, Message: m})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox %s: peek after %d: %w", b.dir, after, err)
	}
	for _, seq := range bad {
		if err := b.delete(seq); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Delete implements Outbox.
func (b *Badger) Delete(seq uint64) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	return b.delete(seq)
}

func (b *Badger) delete(seq uint64) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	item, err := txn.Get(seqKey(sizePrefix, seq))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox %s: delete %d: %w", b.dir, seq, err)
	}
	var size int64
	_ = item.Value(func(v []byte) error {
		s, _ := binary.Uvarint(v)
		size = int64(s)
		return nil
	})
	if err := txn.Delete(seqKey(msgPrefix, seq)); err != nil {
		return fmt.Errorf("outbox %s: delete %d: %w", b.dir, seq, err)
	}
	if err := txn.Delete(seqKey(sizePrefix, seq)); err != nil {
		return fmt.Errorf("outbox %s: delete %d: %w", b.dir, seq, err)
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("outbox %s: delete %d: %w", b.dir, seq, err)
	}

	b.smu.Lock()
	b.stats.Depth--
	b.stats.Bytes -= size
	headGone := seq == b.stats.OldestSeq
	if b.stats.Depth == 0 {
		b.stats.OldestSeq = 0
		headGone = false
	}
	b.smu.Unlock()
	if !headGone {
		return nil
	}
	// Writers are serialised, so nothing can change the head while we look for the next one.
	next, err := b.firstSeqFrom(seq + 1)
	if err != nil {
		return fmt.Errorf("outbox %s: delete %d: find head: %w", b.dir, seq, err)
	}
	b.smu.Lock()
	b.stats.OldestSeq = next
	b.smu.Unlock()
	return nil
}

// firstSeqFrom returns the smallest stored seq >= from, or 0. It reads keys only.
func (b *Badger) firstSeqFrom(from uint64) (uint64, error) {
	var seq uint64
	err := b.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		io.Prefix = sizePrefix
		it := txn.NewIterator(io)
		defer it.Close()
		it.Seek(seqKey(sizePrefix, from))
		if it.Valid() {
			seq, _ = keySeq(sizePrefix, it.Item().Key())
		}
		return nil
	})
	return seq, err
}

// Stats implements Outbox.
func (b *Badger) Stats() Stats {
	b.smu.Lock()
	defer b.smu.Unlock()
	return b.stats
}

// Notify implements Outbox.
func (b *Badger) Notify() <-chan struct{} { return b.notify }

// Close implements Outbox. It waits for running operations, stops value-log GC and closes the
// database, which flushes memtables to disk.
func (b *Badger) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.closed = true
	close(b.stopGC)
	<-b.gcDone
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("outbox %s: close: %w", b.dir, err)
	}
	return nil
}

// badgerLogger routes Badger's log to slog at warning level and above.
type badgerLogger struct{ l *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) {
	l.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l badgerLogger) Warningf(f string, a ...any) {
	l.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
