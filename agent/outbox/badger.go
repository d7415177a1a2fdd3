package outbox

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Key layout. Every message has its value under msgPrefix+seq and its index entry (size, kind,
// time, batch, ref: see meta) under idxPrefix+seq, written in the same transaction; evidence
// also has an empty key under evPrefix+seq, so the oldest evidence is found without a scan.
// metaKey holds the counters and the head, so a restart reads one key, not the backlog.
var (
	msgPrefix = []byte("m/")
	idxPrefix = []byte("s/")
	evPrefix  = []byte("e/")
	metaKey   = []byte("meta")
)

// metaFields is the number of big-endian uint64s in the meta value: next, batches, head, depth,
// bytes, dropped evidence, passages, announcements, dropped bytes, drop events. The first
// layout had only next and batches.
const metaFields = 10

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
	Limits     Limits
	// Announce builds the message announcing each drop pass; nil counts drops without
	// announcing them.
	Announce Announcer
	// CheckInterval is how often max_age and the disk reserve are enforced besides at every
	// append; default 1m.
	CheckInterval time.Duration
	// BlobThreshold is the payload size from which a payload is kept in a file of its own
	// rather than in Badger; default 4 KiB.
	BlobThreshold int
	// ReadOnly opens the store for reading only (a technician's view). Badger refuses it while
	// another process has the store open.
	ReadOnly bool
	Now      func() time.Time                // default time.Now
	Free     func(dir string) (int64, error) // free bytes on dir's file system; default statfs
	Size     func(dir string) (int64, error) // total bytes of dir's file system; default statfs
	// Yield, when set, frees up to need bytes of other data on the store's file system (the
	// evidence archive) and returns what it freed. The disk reserve asks it before it drops
	// anything, and Room before it says no: the archive yields before the outbox loses a
	// message. It is called holding the outbox's writer lock and must not call the outbox.
	Yield func(need int64) int64
}

// state is the outbox's counters. Writers change it holding wmu, and smu for readers.
type state struct {
	next, batches uint64
	head          uint64 // no live entry has a smaller seq
	headAt        int64  // append time of the head entry, Unix ms
	depth         int
	bytes         int64
	drops         DropStats
}

// Badger is the gateway's durable Outbox, stored with Badger in one directory. Payloads of at
// least BlobThreshold bytes (evidence JPEGs) are files in dir/blobs, written and synced before
// the transaction that refers to them commits, and removed after the one that deletes it.
type Badger struct {
	dir   string
	blobs *blobDir
	segs  *segStore
	db    *badger.DB
	log   *slog.Logger
	o     BadgerOptions

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed bool

	wmu sync.Mutex // serialises writers
	smu sync.Mutex // guards st for readers
	st  state

	// unlinkLater holds the blobs of deleted entries, removed once the deletes are synced:
	// a delete lost in a crash must find its file again. Guarded by wmu.
	unlinkLater []uint64

	peeked peekCache
	age    ageClock // guarded by wmu

	// The head pointer. Entries below the head are garbage: deleted in order, their keys left
	// for collect. floor is the head as readers outside wmu must see it (raised before the
	// commit that advances the head); syncedHead is the head at the last Sync, below which
	// garbage may be collected (collecting above it could, after a power cut, lose entries the
	// restored head says are live); lastSync is when that was (guarded by wmu); gcFloor is
	// where collect has got to (maintain's goroutine only).
	floor      atomic.Uint64
	syncedHead atomic.Uint64
	lastSync   time.Time
	gcFloor    uint64
	gcKick     chan struct{}

	notify   chan struct{}
	stop     chan struct{}
	maintEnd chan struct{}
}

var _ Outbox = (*Badger)(nil)

// peekCache remembers the index entries of the messages Peek returned, so that deleting them
// after their PUBACK does not read the index again (most of a drain's cost otherwise). Every
// entry in it at or above the head is live: a delete out of order or a drop bumps gen and
// forgets what it removed, and Peek adds what it read only if none committed since its read
// began. A delete at the head (a drain's) forgets what it removed without bumping gen: Peek's
// reads overlap the drain's deletes all the time, and discarding them would send every delete
// back to the index. What such a delete removed is below the floor, raised before its commit,
// so add, which skips what is below the floor, cannot bring it back after the forget.
type peekCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[uint64]meta
}

// maxPeeked bounds the cache; past it, Delete reads the index as before.
const maxPeeked = 4096

func (c *peekCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// add remembers ms, less what is below floor, if nothing was removed out of order since
// generation g.
func (c *peekCache) add(g uint64, ms []meta, floor *atomic.Uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != g {
		return
	}
	if c.m == nil {
		c.m = make(map[uint64]meta, len(ms))
	}
	f := floor.Load()
	for _, x := range ms {
		if len(c.m) >= maxPeeked {
			return
		}
		if x.seq >= f {
			c.m[x.seq] = x
		}
	}
}

func (c *peekCache) get(seq uint64) (meta, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.m[seq]
	return x, ok
}

// forget is called after a commit that removed seqs. head says they were all below the head
// it committed (and the floor was raised past them before the commit).
func (c *peekCache) forget(seqs []uint64, head bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !head {
		c.gen++
	}
	for _, s := range seqs {
		delete(c.m, s)
	}
}

// OpenBadger opens (or creates) the outbox stored in dir. The options suit a small arm64 gateway
// with 1 GB of RAM: small memtables and caches, payloads over 1 KiB in the value log, and every
// commit synced to disk. With a disk reserve, Badger's memtables and value-log files are sized
// so that its own growth fits in it.
func OpenBadger(dir string, opts BadgerOptions) (*Badger, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "outbox", "dir", dir)
	if opts.GCInterval <= 0 {
		opts.GCInterval = 5 * time.Minute
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = time.Minute
	}
	if opts.BlobThreshold <= 0 {
		opts.BlobThreshold = 4 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Free == nil {
		opts.Free = freeSpace
	}
	if opts.Size == nil {
		opts.Size = fsSize
	}
	if !opts.ReadOnly {
		opts.Limits.ReserveBytes = fitReserve(dir, opts, log)
	}
	// Payloads live in segments and blob files, so Badger holds only keys, the index and small
	// values: 2 MiB memtables hold thousands of messages.
	memTable, vlogFile, segFile := int64(2<<20), int64(64<<20), int64(8<<20)
	if r := opts.Limits.ReserveBytes; r > 0 {
		memTable = min(max(r/16, 1<<20), memTable)
		vlogFile = min(max(r/4, 1<<20), vlogFile)
		segFile = min(max(r/4, 1<<20), segFile)
	}
	db, err := badger.Open(badgerOptions(dir, memTable, vlogFile, opts.ReadOnly, log))
	if err != nil {
		return nil, fmt.Errorf("outbox %s: open: %w", dir, err)
	}
	b := &Badger{
		dir:      dir,
		db:       db,
		log:      log,
		o:        opts,
		notify:   make(chan struct{}, 1),
		stop:     make(chan struct{}),
		maintEnd: make(chan struct{}),
		gcKick:   make(chan struct{}, 1),
		st:       state{next: 1, head: 1},
	}
	if err := b.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox %s: load: %w", dir, err)
	}
	b.floor.Store(b.st.head)
	b.lastSync = opts.Now()
	b.blobs = &blobDir{path: blobPath(dir)}
	if b.segs, err = loadSegments(db, dir, segFile, opts.ReadOnly); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox %s: %w", dir, err)
	}
	if opts.ReadOnly {
		close(b.maintEnd)
		return b, nil
	}
	if err := b.sweepBlobs(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox %s: %w", dir, err)
	}
	if removed := b.segs.sweep(); len(removed) > 0 {
		log.Info("removed segments nothing refers to", "segments", removed)
	}
	go b.maintain()
	return b, nil
}

// badgerOptions are the Badger options of a store in dir (see OpenBadger).
func badgerOptions(dir string, memTable, vlogFile int64, readOnly bool, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithMemTableSize(memTable).
		WithNumMemtables(2).
		// Keys and small values compress little; Snappy on every table build and block read
		// cost the drain more CPU (and garbage) than it saved. Uncompressed blocks are read
		// from the memory-mapped tables directly, so no block cache either.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(1 << 20).
		// Payloads are in segments and files, so values are small and stay in the LSM tree;
		// larger ones (drop announcements, payloads a store of an older layout kept inline) go
		// to the value log.
		WithValueThreshold(256).
		WithValueLogFileSize(vlogFile).
		WithBaseTableSize(1 << 20).
		WithNumCompactors(2).
		WithSyncWrites(false).      // appends and drops call Sync; a lost delete only means a resend
		WithDetectConflicts(false). // writers are serialised by wmu
		WithMetricsEnabled(false).
		WithReadOnly(readOnly).
		WithLogger(badgerLogger{log})
}

// Reserve is the free space the store leaves on its file system: Limits.ReserveBytes, made to
// fit the file system at open (see fitReserve).
func (b *Badger) Reserve() int64 { return b.o.Limits.ReserveBytes }

// Room reports whether n more bytes can be written beside the store, on its file system,
// without eating into the reserve its own growth needs (Badger's memory-mapped files fault when
// the disk fills under them). Other writers on the store's disk (the lanes' plate journals) ask
// it first. A file system that cannot be asked counts as having room.
func (b *Badger) Room(n int64) bool {
	free, err := b.o.Free(b.dir)
	if err != nil {
		return true
	}
	r := b.o.Limits.ReserveBytes
	if free-n <= r && b.o.Yield != nil && b.o.Yield(r+n-free+r/8) > 0 {
		if free, err = b.o.Free(b.dir); err != nil {
			return true
		}
	}
	return free-n > r
}

// load reads the counters and the head from the meta key. A store of the first layout (no head
// in meta) is indexed once, keys and small index values only.
func (b *Badger) load() error {
	return b.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey)
		full := false
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			switch len(v) {
			case 16:
			case 8 * metaFields:
				full = true
			default:
				return fmt.Errorf("%w: meta is %d bytes", ErrCorrupt, len(v))
			}
			f := func(i int) uint64 { return binary.BigEndian.Uint64(v[8*i:]) }
			b.st.next, b.st.batches = f(0), f(1)
			if full {
				b.st.head, b.st.depth, b.st.bytes = f(2), int(f(3)), int64(f(4))
				b.st.drops = DropStats{Evidence: f(5), Passages: f(6), Announcements: f(7), Bytes: int64(f(8)), Events: f(9)}
			}
		}
		if b.st.next == 0 {
			b.st.next = 1
		}
		if full {
			if b.st.depth > 0 {
				m, ok, err := firstFrom(txn, b.st.head)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%w: meta says %d entries, none found", ErrCorrupt, b.st.depth)
				}
				b.st.head, b.st.headAt = m.seq, m.at
			}
			return nil
		}
		b.st.head, b.st.depth, b.st.bytes = 1, 0, 0
		first := true
		return scanIndex(txn, 0, func(m meta) bool {
			if first {
				b.st.head, b.st.headAt, first = m.seq, m.at, false
			}
			b.st.depth++
			b.st.bytes += m.size
			b.st.next = max(b.st.next, m.seq+1)
			return true
		})
	})
}

// scanIndex calls f with each index entry from seq on, in order, until f returns false.
func scanIndex(txn *badger.Txn, from uint64, f func(meta) bool) error {
	io := badger.DefaultIteratorOptions
	io.PrefetchValues = false
	io.Prefix = idxPrefix
	it := txn.NewIterator(io)
	defer it.Close()
	for it.Seek(seqKey(idxPrefix, from)); it.Valid(); it.Next() {
		item := it.Item()
		seq, ok := keySeq(idxPrefix, item.Key())
		if !ok {
			continue
		}
		var m meta
		if err := item.Value(func(v []byte) error {
			var err error
			m, err = decodeMeta(seq, v)
			return err
		}); err != nil {
			return err
		}
		if !f(m) {
			return nil
		}
	}
	return nil
}

// firstFrom returns the first index entry with seq >= from.
func firstFrom(txn *badger.Txn, from uint64) (m meta, ok bool, err error) {
	err = scanIndex(txn, from, func(x meta) bool { m, ok = x, true; return false })
	return m, ok, err
}

func getMeta(txn *badger.Txn, seq uint64) (meta, bool, error) {
	item, err := txn.Get(seqKey(idxPrefix, seq))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return meta{}, false, nil
	}
	if err != nil {
		return meta{}, false, err
	}
	var m meta
	err = item.Value(func(v []byte) error {
		var err error
		m, err = decodeMeta(seq, v)
		return err
	})
	return m, err == nil, err
}

func metaValue(s state) []byte {
	v := make([]byte, 0, 8*metaFields)
	for _, x := range []uint64{s.next, s.batches, s.head, uint64(s.depth), uint64(s.bytes),
		s.drops.Evidence, s.drops.Passages, s.drops.Announcements, uint64(s.drops.Bytes), s.drops.Events} {
		v = binary.BigEndian.AppendUint64(v, x)
	}
	return v
}

// maintain runs value-log GC and the periodic bound checks until Close.
func (b *Badger) maintain() {
	defer close(b.maintEnd)
	gc := time.NewTicker(b.o.GCInterval)
	defer gc.Stop()
	check := time.NewTicker(b.o.CheckInterval)
	defer check.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-check.C:
			b.wmu.Lock()
			err := b.syncDeletesLocked()
			if err == nil {
				err = b.enforceLocked(0, 0)
			}
			b.wmu.Unlock()
			if err != nil {
				b.log.Error("enforcing store bounds", "err", err)
			}
		case <-gc.C:
			b.runGC()
		case <-b.gcKick:
		}
		b.collect()
	}
}

func (b *Badger) runGC() {
	for {
		select {
		case <-b.stop:
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
		return
	}
}

// AppendBatch implements Outbox. The bounds are enforced first (drops committed and announced
// in their own transactions); then the blobs are written and synced, and the messages, their
// index, the counters and the batch number are committed, and synced, in one transaction.
func (b *Badger) AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error) {
	return b.appendBatch(build, true)
}

// Append stores msgs atomically and in order without a batch number (see Outbox.Append).
func (b *Badger) Append(msgs ...Message) ([]uint64, error) {
	return b.appendBatch(func(uint64) ([]Message, error) { return msgs, nil }, false)
}

func (b *Badger) appendBatch(build func(n uint64) ([]Message, error), numbered bool) ([]uint64, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.o.ReadOnly {
		return nil, ErrReadOnly
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()

	n := uint64(0)
	if numbered {
		n = b.st.batches + 1
	}
	msgs, err := build(n)
	if err != nil {
		return nil, fmt.Errorf("outbox: build batch %d: %w", n, err)
	}
	var incoming, blobIn int64
	for _, m := range msgs {
		if err := validate(m); err != nil {
			return nil, err
		}
		incoming += msgSize(m)
		if b.isBlob(m) {
			blobIn += int64(len(m.Payload))
		}
	}
	if err := b.syncDeletesLocked(); err != nil {
		return nil, err
	}
	if err := b.enforceLocked(incoming, blobIn); err != nil {
		b.log.Error("enforcing store bounds", "err", err)
	}

	// What the bounds leave no room for is dropped from the batch, and announced with it.
	keep := make([]bool, len(msgs))
	for i := range keep {
		keep[i] = true
	}
	var dropped []Dropped
	dropIncoming := func(i int) {
		keep[i] = false
		m := msgs[i]
		dropped = append(dropped, Dropped{Batch: n, Kind: m.Kind, Ref: m.Ref, Topic: m.Topic, Bytes: msgSize(m)})
	}
	reason := ReasonDisk
	if r := b.o.Limits.ReserveBytes; r > 0 {
		if free, err := b.o.Free(b.dir); err == nil {
			switch {
			case free < r/2: // Badger's own growth is eating the reserve: store only the announcement
				for i := range msgs {
					dropIncoming(i)
				}
			case free < r+blobIn:
				for i, m := range msgs {
					if b.isBlob(m) {
						dropIncoming(i)
					}
				}
			}
		}
	}
	if mx := b.o.Limits.MaxBytes; mx > 0 && b.st.bytes+incoming > mx && len(dropped) == 0 {
		reason = ReasonMaxBytes
		for i, m := range msgs { // the backlog holds nothing more to drop: evidence first
			if m.Kind == KindEvidence && b.st.bytes+incoming > mx {
				dropIncoming(i)
				incoming -= msgSize(m)
			}
		}
		if b.st.bytes+incoming > mx {
			for i := range msgs {
				if keep[i] {
					dropIncoming(i)
				}
			}
		}
	}

	now := b.o.Now().UnixMilli()
	type put struct {
		m    Message
		x    meta
		blob *blobRef
	}
	var puts []put
	seqs := make([]uint64, len(msgs))
	st := b.st
	if numbered {
		st.batches = n
	}
	for i, m := range msgs {
		if !keep[i] {
			continue
		}
		x := meta{seq: st.next, size: msgSize(m), kind: m.Kind, blob: b.isBlob(m), at: now, batch: n, ref: m.Ref}
		puts = append(puts, put{m: m, x: x})
		seqs[i] = st.next
		st.next++
	}
	if len(dropped) > 0 {
		st.drops.Events++
		for _, d := range dropped {
			countDrop(&st.drops, d.Kind, d.Bytes)
		}
		if a, ok := b.announcement(reason, dropped); ok {
			puts = append(puts, put{m: a, x: meta{seq: st.next, size: msgSize(a), kind: KindAnnouncement, at: now}})
			st.next++
		}
	}
	var written []uint64
	for i := range puts {
		p := &puts[i]
		if !p.x.blob {
			continue
		}
		ref, err := b.blobs.write(p.x.seq, p.m.Payload)
		if err != nil {
			b.blobs.remove(written...)
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
		p.blob = &ref
		written = append(written, p.x.seq)
	}
	if len(written) > 0 {
		if err := b.blobs.sync(); err != nil {
			b.blobs.remove(written...)
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
	}
	var segPuts []int
	var segPayloads [][]byte
	for i, p := range puts {
		if !p.x.blob && len(p.m.Payload) >= segMinPayload {
			segPuts = append(segPuts, i)
			segPayloads = append(segPayloads, p.m.Payload)
		}
	}
	if len(segPuts) > 0 {
		refs, err := b.segs.write(segPayloads)
		if err != nil {
			b.blobs.remove(written...)
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
		for k, i := range segPuts {
			puts[i].blob = &refs[k]
			puts[i].x.seg = refs[k].seg
		}
	}
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	counts := map[uint64]int64{}
	for _, p := range puts {
		if err := setEntry(txn, p.m, p.x, p.blob); err != nil {
			b.blobs.remove(written...)
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
		}
		if p.x.seg != 0 {
			if err := b.segs.count(txn, counts, p.x.seg, 1); err != nil {
				b.blobs.remove(written...)
				return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
			}
		}
		if st.depth == 0 {
			st.head, st.headAt = p.x.seq, p.x.at
		}
		st.depth++
		st.bytes += p.x.size
	}
	if err := txn.Set(metaKey, metaValue(st)); err != nil {
		b.blobs.remove(written...)
		return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, err)
	}
	if err := txn.Commit(); err != nil {
		b.blobs.remove(written...)
		return nil, fmt.Errorf("outbox %s: commit batch %d: %w", b.dir, n, err)
	}
	b.segs.commit(counts)
	b.setState(st)
	if err := b.db.Sync(); err != nil {
		b.signal()
		return nil, fmt.Errorf("outbox %s: sync batch %d: %w", b.dir, n, err)
	}
	b.signal()
	if len(dropped) > 0 {
		b.log.Warn("no room in the store: messages of a new batch dropped and announced", "reason", reason, "batch", n, "dropped", len(dropped))
		if len(dropped) == len(msgs) {
			return nil, fmt.Errorf("outbox %s: batch %d: %w", b.dir, n, ErrNoRoom)
		}
	}
	return seqs, nil
}

// ErrNoRoom is returned (wrapped) by AppendBatch when a bound left no room for any message of
// the batch: the batch number was used, and the drop announced, but nothing else stored.
var ErrNoRoom = errors.New("no room in the store: batch dropped and announced")

func (b *Badger) isBlob(m Message) bool { return len(m.Payload) >= b.o.BlobThreshold }

func setEntry(txn *badger.Txn, m Message, x meta, blob *blobRef) error {
	if err := txn.Set(seqKey(msgPrefix, x.seq), encodeMessage(m, blob)); err != nil {
		return err
	}
	if err := txn.Set(seqKey(idxPrefix, x.seq), encodeMeta(x)); err != nil {
		return err
	}
	if x.kind == KindEvidence {
		return txn.Set(seqKey(evPrefix, x.seq), nil)
	}
	return nil
}

func (b *Badger) announcement(reason string, ds []Dropped) (Message, bool) {
	if b.o.Announce == nil {
		return Message{}, false
	}
	a := b.o.Announce(DropReport{Reason: reason, At: b.o.Now(), Dropped: ds})
	a.Kind = KindAnnouncement
	if err := validate(a); err != nil {
		b.log.Error("drop announcement not stored", "err", err)
		return Message{}, false
	}
	return a, true
}

func (b *Badger) setState(st state) {
	b.smu.Lock()
	b.st = st
	b.smu.Unlock()
}

func (b *Badger) signal() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// Peek implements Outbox. An entry whose value or blob is damaged is dropped (and announced),
// so one damaged record cannot stall the uplink for ever.
func (b *Badger) Peek(after uint64, max int) ([]Entry, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	if max <= 0 || after == math.MaxUint64 {
		return nil, nil
	}
	b.smu.Lock()
	depth, head := b.st.depth, b.st.head
	b.smu.Unlock()
	if depth == 0 {
		return nil, nil
	}
	// Deleted keys below the head linger as tombstones until compaction; start past them.
	start := max64(after+1, head)

	// Read the values first, then the payloads stored apart: those in segments in as few reads
	// as they are runs of adjacent records (a backlog's usually are one run).
	type read struct {
		e   Entry
		ref *blobRef
	}
	var rs []read
	var bad []uint64
	gen := b.peeked.generation()
	err := b.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		io.Prefix = msgPrefix
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(seqKey(msgPrefix, start)); it.Valid() && len(rs) < max; it.Next() {
			item := it.Item()
			seq, ok := keySeq(msgPrefix, item.Key())
			if !ok {
				continue
			}
			// Decoded in place: topic and ref are copied as strings, and only a payload kept
			// inline needs a copy of its own.
			var m Message
			var ref *blobRef
			var err error
			if verr := item.Value(func(v []byte) error {
				m, ref, err = decodeMessage(v)
				m.Payload = bytes.Clone(m.Payload)
				return nil
			}); verr != nil {
				return fmt.Errorf("entry %d: %w", seq, verr)
			}
			if err == nil && ref != nil && ref.seg == 0 {
				m.Payload, err = b.blobs.read(seq, *ref)
			}
			if err != nil {
				bad = append(bad, seq)
				b.log.Error("damaged outbox entry", "seq", seq, "err", err)
				continue
			}
			rs = append(rs, read{Entry{Seq: seq, Message: m}, ref})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox %s: peek after %d: %w", b.dir, after, err)
	}
	var refs []blobRef
	var at []int
	for i, r := range rs {
		if r.ref != nil && r.ref.seg != 0 {
			refs = append(refs, *r.ref)
			at = append(at, i)
		}
	}
	payloads, errs := b.segs.readAll(refs)
	for k, i := range at {
		rs[i].e.Payload = payloads[k]
		if errs[k] != nil {
			bad = append(bad, rs[i].e.Seq)
			b.log.Error("damaged outbox entry", "seq", rs[i].e.Seq, "err", errs[k])
			rs[i].ref = nil
			rs[i].e.Seq = 0
		}
	}
	out := make([]Entry, 0, len(rs))
	seen := make([]meta, 0, len(rs))
	floor := b.floor.Load() // read after the view: what a delete committed by now is below it
	for _, r := range rs {
		if r.e.Seq == 0 || r.e.Seq < floor {
			continue
		}
		out = append(out, r.e)
		x := meta{seq: r.e.Seq, size: msgSize(r.e.Message), kind: r.e.Kind}
		if r.ref != nil {
			x.blob, x.seg = r.ref.seg == 0, r.ref.seg
		}
		seen = append(seen, x)
	}
	if !b.o.ReadOnly {
		b.peeked.add(gen, seen, &b.floor)
	}
	if len(bad) > 0 && !b.o.ReadOnly {
		b.wmu.Lock()
		// An entry deleted since the view (its blob removed after its PUBACK) is not damaged.
		var ms []meta
		_ = b.db.View(func(txn *badger.Txn) error {
			for _, seq := range bad {
				if seq < b.st.head {
					continue
				}
				if m, ok, _ := getMeta(txn, seq); ok {
					ms = append(ms, m)
				}
			}
			return nil
		})
		err := b.dropLocked(ReasonCorrupt, ms)
		b.wmu.Unlock()
		if err != nil {
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

// Delete implements Outbox. Deletes are synced like every commit; a delete lost in a crash
// only means the message is sent again. Many entries are deleted in several transactions of at
// most dropChunk each, so that no transaction outgrows what the small memtables accept.
func (b *Badger) Delete(seqs ...uint64) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	if b.o.ReadOnly {
		return ErrReadOnly
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	for len(seqs) > 0 {
		n := min(len(seqs), dropChunk)
		if err := b.deleteLocked(seqs[:n]); err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

// deleteLocked deletes seqs in one transaction. The caller holds wmu.
//
// The entries at the head of the FIFO (a drain's, which arrive in order) are not deleted key by
// key: the head advances past them, in meta, and they become garbage that no reader looks at
// (every read starts at the head), collected later in the background (collect). Writing a
// tombstone for each of their keys, and having Badger flush and compact the tombstones while
// the window moves, was most of what a drain cost the outbox. Entries deleted out of order
// (behind a gap that is still live) get tombstones as before.
func (b *Badger) deleteLocked(seqs []uint64) error {
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	st := b.st
	counts := map[uint64]int64{}
	var blobs, gone []uint64
	var xs []meta
	for _, seq := range seqs {
		if seq < st.head {
			continue // garbage already, or deleted before
		}
		x, ok := b.peeked.get(seq)
		if !ok {
			var err error
			if x, ok, err = getMeta(txn, seq); err != nil {
				return fmt.Errorf("outbox %s: delete %d: %w", b.dir, seq, err)
			}
			if !ok {
				continue
			}
		}
		xs = append(xs, x)
	}
	if len(xs) == 0 {
		return nil
	}
	slices.SortFunc(xs, func(a, c meta) int { return cmp.Compare(a.seq, c.seq) })
	xs = slices.CompactFunc(xs, func(a, c meta) bool { return a.seq == c.seq })
	// The run at the head: xs[:run], every entry from the head up to xs[run-1] being deleted
	// now or deleted before (a hole of at most a few tombstones is looked through).
	run, h := 0, st.head
	for run < len(xs) {
		if xs[run].seq != h {
			live, err := anyLive(txn, h, xs[run].seq)
			if err != nil {
				return fmt.Errorf("outbox %s: delete: %w", b.dir, err)
			}
			if live {
				break
			}
		}
		h = xs[run].seq + 1
		run++
	}
	for i, x := range xs {
		gone = append(gone, x.seq)
		if i >= run {
			if err := deleteEntry(txn, x); err != nil {
				return fmt.Errorf("outbox %s: delete %d: %w", b.dir, x.seq, err)
			}
		}
		st.depth--
		st.bytes -= x.size
		if x.blob {
			blobs = append(blobs, x.seq)
		}
		if x.seg != 0 {
			if err := b.segs.count(txn, counts, x.seg, -1); err != nil {
				return fmt.Errorf("outbox %s: delete %d: %w", b.dir, x.seq, err)
			}
		}
	}
	if run > 0 {
		if err := b.headFrom(txn, &st, max64(h, st.head)); err != nil {
			return err
		}
	}
	if err := txn.Set(metaKey, metaValue(st)); err != nil {
		return fmt.Errorf("outbox %s: delete: %w", b.dir, err)
	}
	// Readers outside wmu (Peek) drop what they read below the floor, which is raised before
	// the commit: once the commit is visible, so is the floor.
	prevFloor := b.floor.Load()
	b.floor.Store(st.head)
	if err := txn.Commit(); err != nil {
		b.floor.Store(prevFloor)
		return fmt.Errorf("outbox %s: delete: %w", b.dir, err)
	}
	b.peeked.forget(gone, run == len(xs))
	b.segs.commit(counts)
	b.unlinkLater = append(b.unlinkLater, blobs...)
	b.setState(st)
	if st.depth == 0 {
		select {
		case b.gcKick <- struct{}{}:
		default:
		}
	}
	if b.o.Now().Sub(b.lastSync) >= deleteSyncEvery {
		return b.syncDeletesLocked()
	}
	return nil
}

// deleteSyncEvery bounds how long acknowledged deletes wait unsynced while a backlog drains: a
// power cut loses at most the deletes of this last while (besides those since the last append
// or maintenance pass), which only means those messages are sent again.
const deleteSyncEvery = time.Second

// anyLive reports whether any entry in [from, to) is live, in txn.
func anyLive(txn *badger.Txn, from, to uint64) (bool, error) {
	if to-from <= 64 {
		for s := from; s < to; s++ {
			if _, ok, err := getMeta(txn, s); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	m, ok, err := firstFrom(txn, from)
	return ok && m.seq < to, err
}

// headFrom sets st.head to the first live entry from seq from on, in txn (which sees its own
// deletes), or to st.next when the outbox is empty.
func (b *Badger) headFrom(txn *badger.Txn, st *state, from uint64) error {
	if st.depth <= 0 {
		st.depth, st.bytes, st.headAt = 0, 0, 0
		st.head = st.next
		return nil
	}
	for s := from; s < st.next && s < from+64; s++ {
		m, ok, err := getMeta(txn, s)
		if err != nil {
			return fmt.Errorf("outbox %s: find head: %w", b.dir, err)
		}
		if ok {
			st.head, st.headAt = m.seq, m.at
			return nil
		}
	}
	m, ok, err := firstFrom(txn, from)
	if err != nil {
		return fmt.Errorf("outbox %s: find head: %w", b.dir, err)
	}
	if !ok {
		return fmt.Errorf("%w: %d entries counted, none from %d", ErrCorrupt, st.depth, from)
	}
	st.head, st.headAt = m.seq, m.at
	return nil
}

func deleteEntry(txn *badger.Txn, x meta) error {
	for _, p := range [][]byte{msgPrefix, idxPrefix} {
		if err := txn.Delete(seqKey(p, x.seq)); err != nil {
			return err
		}
	}
	if x.kind == KindEvidence {
		return txn.Delete(seqKey(evPrefix, x.seq))
	}
	return nil
}

// syncDeletesLocked makes the deletes so far durable and removes their blobs. The caller holds
// wmu.
func (b *Badger) syncDeletesLocked() error {
	if len(b.unlinkLater) == 0 && len(b.segs.dead) == 0 && b.st.head == b.syncedHead.Load() {
		return nil
	}
	head := b.st.head
	if err := b.db.Sync(); err != nil {
		return fmt.Errorf("outbox %s: sync: %w", b.dir, err)
	}
	b.lastSync = b.o.Now()
	b.syncedHead.Store(head)
	b.blobs.remove(b.unlinkLater...)
	b.unlinkLater = b.unlinkLater[:0]
	b.segs.removeDead()
	return nil
}

// findHead moves st.head to the first live entry. Writers are serialised, so nothing can change
// the head while it looks. The new head is persisted with the next write; a stale head in meta
// is only a lower bound, which is all a restart needs.
func (b *Badger) findHead(st *state) error {
	if st.depth <= 0 {
		st.depth, st.bytes, st.headAt = 0, 0, 0
		st.head = st.next
		return nil
	}
	return b.db.View(func(txn *badger.Txn) error {
		// PUBACKs come nearly in order, so the new head is usually a few seqs on: look those
		// up directly before paying for an iterator over the tombstones.
		for s := st.head + 1; s < st.next && s <= st.head+64; s++ {
			m, ok, err := getMeta(txn, s)
			if err != nil {
				return fmt.Errorf("outbox %s: find head: %w", b.dir, err)
			}
			if ok {
				st.head, st.headAt = m.seq, m.at
				return nil
			}
		}
		m, ok, err := firstFrom(txn, st.head)
		if err != nil {
			return fmt.Errorf("outbox %s: find head: %w", b.dir, err)
		}
		if ok {
			st.head, st.headAt = m.seq, m.at
		}
		return nil
	})
}

// Stats implements Outbox.
func (b *Badger) Stats() Stats {
	b.smu.Lock()
	defer b.smu.Unlock()
	s := Stats{Depth: b.st.depth, Bytes: b.st.bytes, Batches: b.st.batches, Drops: b.st.drops}
	if s.Depth > 0 {
		s.OldestSeq, s.OldestUnixMs = b.st.head, b.st.headAt
	}
	return s
}

// List returns up to max waiting items with Seq > after, from the index only.
func (b *Badger) List(after uint64, max int) ([]Item, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	b.smu.Lock()
	head := b.st.head
	b.smu.Unlock()
	var out []Item
	err := b.db.View(func(txn *badger.Txn) error {
		return scanIndex(txn, max64(after+1, head), func(m meta) bool {
			if len(out) >= max {
				return false
			}
			out = append(out, itemOf(m))
			return true
		})
	})
	return out, err
}

func itemOf(m meta) Item {
	it := Item{Seq: m.seq, Batch: m.batch, Kind: m.kind, Ref: m.ref, Bytes: m.size}
	if m.at > 0 {
		it.At = time.UnixMilli(m.at).UTC()
	}
	return it
}

// Notify implements Outbox.
func (b *Badger) Notify() <-chan struct{} { return b.notify }

// Close implements Outbox. It waits for running operations, stops the maintenance goroutine and
// closes the database, which flushes memtables to disk.
func (b *Badger) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.closed = true
	close(b.stop)
	<-b.maintEnd
	var unlink []uint64
	if !b.o.ReadOnly {
		b.wmu.Lock()
		unlink = b.unlinkLater
		b.wmu.Unlock()
	}
	serr := b.segs.close()
	if err := b.db.Close(); err != nil { // flushes and syncs everything
		return fmt.Errorf("outbox %s: close: %w", b.dir, err)
	}
	b.blobs.remove(unlink...)
	if !b.o.ReadOnly {
		b.segs.removeDead()
	}
	if serr != nil {
		return fmt.Errorf("outbox %s: close: %w", b.dir, serr)
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

// collectChunk is how many entries collect removes per write batch, between which it lets Close
// in.
const collectChunk = 1024

// collect removes the keys of the entries below the synced head (the garbage deleteLocked
// leaves), in write batches, on maintain's goroutine: after a backlog drained, and at every
// maintenance pass. Nothing reads below the head, so it needs no lock against the writers.
// Stopped by Close, it goes on at the next open, from the start.
func (b *Badger) collect() {
	b.wmu.Lock()
	err := b.syncDeletesLocked()
	b.wmu.Unlock()
	if err != nil {
		b.log.Error("syncing deletes", "err", err)
		return
	}
	limit := b.syncedHead.Load()
	if limit <= b.gcFloor {
		return
	}
	for _, p := range [][]byte{msgPrefix, idxPrefix, evPrefix} {
		// Each batch starts past the last one's keys, not at gcFloor, so it does not walk
		// through the tombstones the batches before it wrote.
		from := b.gcFloor
		for {
			select {
			case <-b.stop:
				return
			default:
			}
			var keys [][]byte
			err := b.db.View(func(txn *badger.Txn) error {
				io := badger.DefaultIteratorOptions
				io.PrefetchValues = false
				io.Prefix = p
				it := txn.NewIterator(io)
				defer it.Close()
				for it.Seek(seqKey(p, from)); it.Valid() && len(keys) < collectChunk; it.Next() {
					seq, ok := keySeq(p, it.Item().Key())
					if !ok {
						continue
					}
					if seq >= limit {
						break
					}
					keys = append(keys, it.Item().KeyCopy(nil))
					from = seq + 1
				}
				return nil
			})
			if err == nil && len(keys) > 0 {
				wb := b.db.NewWriteBatch()
				for _, k := range keys {
					if err = wb.Delete(k); err != nil {
						break
					}
				}
				if err == nil {
					err = wb.Flush()
				} else {
					wb.Cancel()
				}
			}
			if err != nil {
				b.log.Warn("collecting deleted entries", "err", err)
				return
			}
			if len(keys) < collectChunk {
				break
			}
		}
	}
	b.gcFloor = limit
}
