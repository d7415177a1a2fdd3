package lane

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sitegate/drivers/plate"
)

// DefaultJournalBytes bounds the plate reads (with their pictures) a lane keeps on disk while
// they wait for their passage: past it, a camera is told to try again.
const DefaultJournalBytes = 256 << 20

// ErrJournalFull is returned by Plate when the lane's waiting reads fill their bound, or the
// disk has no room for them beside the store's reserve.
var ErrJournalFull = errors.New("no room for the lane's waiting plate reads")

// journal keeps every plate read a lane has taken and not yet stored in a passage, one file a
// read, written and synced before the camera is answered: a read answered 200 survives a
// power cut (it is read back when the lane starts again), and the pictures of waiting reads
// are on disk, not in memory.
type journal struct {
	dir string
	max int64
	// room, when set, reports whether n more bytes fit on the disk beside the store.
	room func(n int64) bool

	mu    sync.Mutex
	next  uint64
	sizes map[uint64]int64
	bytes int64
}

// journalEntry is one read found in the journal at start.
type journalEntry struct {
	ref      uint64
	read     plate.Read
	received time.Time
}

type journalRecord struct {
	Received time.Time  `json:"received"`
	Read     plate.Read `json:"read"`
}

// openJournal opens (or makes) dir and returns the reads it holds, oldest first. A file that
// cannot be read (torn by a crash before its rename, which cannot happen, or damaged since) is
// moved aside, never silently dropped.
func openJournal(dir string, limit int64) (*journal, []journalEntry, error) {
	if limit <= 0 {
		limit = DefaultJournalBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("plate journal %s: %w", dir, err)
	}
	j := &journal{dir: dir, max: limit, sizes: map[uint64]int64{}, next: 1}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	var out []journalEntry
	for _, name := range names {
		ref, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), ".json"), 10, 64)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(name)
		var rec journalRecord
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			_ = os.Rename(name, name+".damaged")
			continue
		}
		j.sizes[ref] = int64(len(b))
		j.bytes += int64(len(b))
		j.next = max(j.next, ref+1)
		out = append(out, journalEntry{ref: ref, read: rec.Read, received: rec.Received})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ref < out[b].ref })
	for _, t := range mustGlob(filepath.Join(dir, "*.tmp")) {
		_ = os.Remove(t) // a write a crash cut short: its camera was not answered
	}
	return j, out, nil
}

func mustGlob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

func (j *journal) path(ref uint64) string {
	return filepath.Join(j.dir, fmt.Sprintf("%020d.json", ref))
}

// put writes r durably and returns its ref.
func (j *journal) put(r plate.Read, received time.Time) (uint64, error) {
	b, err := json.Marshal(journalRecord{Received: received, Read: r})
	if err != nil {
		return 0, err
	}
	if j.room != nil && !j.room(int64(len(b))) {
		return 0, ErrJournalFull
	}
	j.mu.Lock()
	if j.bytes+int64(len(b)) > j.max {
		j.mu.Unlock()
		return 0, ErrJournalFull
	}
	ref := j.next
	j.next++
	j.bytes += int64(len(b))
	j.sizes[ref] = int64(len(b))
	j.mu.Unlock()
	if err := writeSynced(j.path(ref), b); err != nil {
		j.forget(ref)
		return 0, fmt.Errorf("plate journal: %w", err)
	}
	return ref, nil
}

// writeSynced writes b to path through a synced temporary file and a rename, then syncs the
// folder, so the file is whole or absent after a power cut.
func writeSynced(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// pictures reads back the pictures of a journalled read.
func (j *journal) pictures(ref uint64) (img, scene []byte, err error) {
	b, err := os.ReadFile(j.path(ref))
	if err != nil {
		return nil, nil, err
	}
	var rec journalRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, nil, err
	}
	return rec.Read.ImageJPEG, rec.Read.SceneJPEG, nil
}

func (j *journal) forget(ref uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.bytes -= j.sizes[ref]
	delete(j.sizes, ref)
}

// remove deletes reads that are in a stored passage now (or dropped as resends).
func (j *journal) remove(refs ...uint64) {
	for _, ref := range refs {
		if ref == 0 {
			continue
		}
		_ = os.Remove(j.path(ref))
		j.forget(ref)
	}
}

// held is the bytes the journal holds.
func (j *journal) held() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes
}
