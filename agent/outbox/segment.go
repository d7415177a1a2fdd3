package outbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Segments keep the payloads of passages and announcements: append-only files in dir/segments,
// each payload written, with the others of its batch, in one write and synced before the Badger
// transaction that refers to it commits. Badger then holds only keys and small values, and the
// uplink reads payloads with pread rather than through Badger's memory-mapped value log, so a
// drain of a large backlog does not map the backlog into the agent's resident memory.
//
// Each segment's count of live entries is kept in Badger under segPrefix+id, in the same
// transactions as the entries, so a restart knows them without a scan. A segment whose count
// reaches zero is removed once that is synced, unless it is the one being written; a restart
// always starts a new segment, so the unreferenced tail a crash may leave is never appended to,
// and files no count refers to are removed at open.
var segPrefix = []byte("g/")

// segMinPayload is the smallest payload kept in a segment; smaller ones stay in Badger's LSM
// tree with their key.
const segMinPayload = 128

type segStore struct {
	path string
	max  int64 // a segment is closed once it reaches this size
	ro   bool

	// Writers hold the outbox's wmu.
	cur     uint64   // the segment being written; 0 before the first write
	f       *os.File // cur, open for writing
	size    int64    // cur's size
	next    uint64   // the id the next segment gets
	live    map[uint64]int64
	created bool
	// dead holds segments with nothing live, removed once the deletes that emptied them are
	// synced: a delete lost in a crash must find its payload again.
	dead []uint64

	rmu     sync.Mutex
	readers map[uint64]*os.File

	smu     sync.Mutex // guards scratch
	scratch []byte
}

func segPath(dir string) string { return filepath.Join(dir, "segments") }

func (s *segStore) name(id uint64) string { return filepath.Join(s.path, fmt.Sprintf("%016x", id)) }

// loadSegments reads the live counts and picks the next segment id past every file and count.
func loadSegments(db *badger.DB, dir string, segMax int64, ro bool) (*segStore, error) {
	s := &segStore{path: segPath(dir), max: segMax, ro: ro, next: 1, live: map[uint64]int64{}, readers: map[uint64]*os.File{}}
	err := db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = segPrefix
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id, ok := keySeq(segPrefix, it.Item().Key())
			if !ok {
				continue
			}
			if err := it.Item().Value(func(v []byte) error {
				n, k := binary.Uvarint(v)
				if k <= 0 {
					return fmt.Errorf("%w: live count of segment %d", ErrCorrupt, id)
				}
				s.live[id] = int64(n)
				return nil
			}); err != nil {
				return err
			}
			s.next = max64(s.next, id+1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	des, err := os.ReadDir(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	s.created = true
	for _, de := range des {
		id, err := strconv.ParseUint(de.Name(), 16, 64)
		if err == nil {
			s.next = max64(s.next, id+1)
		}
	}
	return s, nil
}

// sweep removes segment files no live count refers to.
func (s *segStore) sweep() []string {
	des, err := os.ReadDir(s.path)
	if err != nil {
		return nil
	}
	var removed []string
	for _, de := range des {
		id, err := strconv.ParseUint(de.Name(), 16, 64)
		if err == nil && s.live[id] > 0 {
			continue
		}
		_ = os.Remove(filepath.Join(s.path, de.Name()))
		removed = append(removed, de.Name())
	}
	return removed
}

// write appends payloads to the current segment (a new one when it would pass max) in one
// write, syncs it, and returns where each went. The caller holds wmu.
func (s *segStore) write(payloads [][]byte) ([]blobRef, error) {
	var total int64
	for _, p := range payloads {
		total += int64(len(p))
	}
	if s.f != nil && s.size > 0 && s.size+total > s.max {
		if err := s.roll(); err != nil {
			return nil, err
		}
	}
	if s.f == nil {
		if err := s.open(); err != nil {
			return nil, err
		}
	}
	if s.size+total > 1<<32-1 {
		return nil, fmt.Errorf("segment %d: a batch of %d bytes does not fit", s.cur, total)
	}
	refs := make([]blobRef, len(payloads))
	buf := make([]byte, 0, total)
	off := s.size
	for i, p := range payloads {
		refs[i] = blobRef{seg: s.cur, off: uint32(off), size: uint32(len(p)), crc: crc32.Checksum(p, castagnoli)}
		buf = append(buf, p...)
		off += int64(len(p))
	}
	n, err := s.f.WriteAt(buf, s.size)
	s.size += int64(n) // what was written stays, referenced or not, until the segment goes
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		return nil, fmt.Errorf("segment %d: %w", s.cur, err)
	}
	return refs, nil
}

// open starts a new segment and makes its name durable.
func (s *segStore) open() error {
	if !s.created {
		if err := os.MkdirAll(s.path, 0o750); err != nil {
			return fmt.Errorf("segments: %w", err)
		}
		s.created = true
	}
	id := s.next
	f, err := os.OpenFile(s.name(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("segment %d: %w", id, err)
	}
	if err := syncDir(s.path); err != nil {
		f.Close()
		os.Remove(s.name(id))
		return fmt.Errorf("segment %d: %w", id, err)
	}
	s.next++
	s.cur, s.f, s.size = id, f, 0
	return nil
}

// roll closes the current segment; if nothing in it is live any more, it goes with the next
// sync.
func (s *segStore) roll() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	old := s.cur
	s.cur, s.f, s.size = 0, nil, 0
	if s.live[old] <= 0 {
		s.dead = append(s.dead, old)
	}
	return err
}

// readAll reads the payloads refs point at, each run of adjacent records of one segment in one
// read (into a buffer kept for the next call), and checks each against its CRC; errs[i] says
// why payload i could not be had. Each payload is a copy of its own: it is handed to the MQTT
// client, which keeps it until the PUBACK.
func (s *segStore) readAll(refs []blobRef) (payloads [][]byte, errs []error) {
	payloads, errs = make([][]byte, len(refs)), make([]error, len(refs))
	s.smu.Lock()
	defer s.smu.Unlock()
	for i := 0; i < len(refs); {
		j, end := i+1, int64(refs[i].off)+int64(refs[i].size)
		for j < len(refs) && refs[j].seg == refs[i].seg && int64(refs[j].off) == end && end-int64(refs[i].off) < maxRun {
			end += int64(refs[j].size)
			j++
		}
		span, err := s.readSpan(refs[i].seg, int64(refs[i].off), end)
		for k := i; k < j; k++ {
			if err != nil {
				errs[k] = err
				continue
			}
			r := refs[k]
			p := span[int64(r.off)-int64(refs[i].off):][:r.size]
			if crc32.Checksum(p, castagnoli) != r.crc {
				errs[k] = fmt.Errorf("%w: segment %d at %d: CRC mismatch", ErrCorrupt, r.seg, r.off)
				continue
			}
			payloads[k] = bytes.Clone(p)
		}
		i = j
	}
	return payloads, errs
}

// maxRun bounds one read of adjacent records.
const maxRun = 256 << 10

// readSpan reads bytes from..to of segment seg into the scratch buffer. The caller holds smu.
func (s *segStore) readSpan(seg uint64, from, to int64) ([]byte, error) {
	f, err := s.reader(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: segment %d: %w", ErrCorrupt, seg, err)
	}
	n := int(to - from)
	if cap(s.scratch) < n {
		s.scratch = make([]byte, max(n, maxRun))
	}
	p := s.scratch[:n]
	if _, err := f.ReadAt(p, from); err != nil {
		return nil, fmt.Errorf("%w: segment %d at %d: %w", ErrCorrupt, seg, from, err)
	}
	return p, nil
}

func (s *segStore) reader(id uint64) (*os.File, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if f, ok := s.readers[id]; ok {
		return f, nil
	}
	f, err := os.Open(s.name(id))
	if err != nil {
		return nil, err
	}
	s.readers[id] = f
	return f, nil
}

// remove closes and deletes segment id.
func (s *segStore) remove(id uint64) {
	s.rmu.Lock()
	if f, ok := s.readers[id]; ok {
		f.Close()
		delete(s.readers, id)
	}
	s.rmu.Unlock()
	delete(s.live, id)
	_ = os.Remove(s.name(id))
}

// count records, in txn, that delta entries of segment id were stored (+) or removed (-), and
// returns the new count; counts is the running tally of the transaction, applied to live by
// commit once it committed.
func (s *segStore) count(txn *badger.Txn, counts map[uint64]int64, id uint64, delta int64) error {
	n, ok := counts[id]
	if !ok {
		n = s.live[id]
	}
	n += delta
	counts[id] = n
	if n <= 0 {
		return txn.Delete(seqKey(segPrefix, id))
	}
	return txn.Set(seqKey(segPrefix, id), binary.AppendUvarint(nil, uint64(n)))
}

// commit applies a committed transaction's counts; segments left with nothing live go with the
// next sync (the one being written stays until it is closed).
func (s *segStore) commit(counts map[uint64]int64) {
	for id, n := range counts {
		if n > 0 {
			s.live[id] = n
			continue
		}
		delete(s.live, id)
		if id != s.cur {
			s.dead = append(s.dead, id)
		}
	}
}

// removeDead removes the segments left with nothing live; the caller has synced the deletes.
func (s *segStore) removeDead() {
	for _, id := range s.dead {
		s.remove(id)
	}
	s.dead = s.dead[:0]
}

func (s *segStore) close() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	s.rmu.Lock()
	for id, f := range s.readers {
		f.Close()
		delete(s.readers, id)
	}
	s.rmu.Unlock()
	return err
}

// syncDir makes the names in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
