package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"sitegate/agent/wire"
)

// PassageFile is the name of a passage's JSON in its folder; an amendment is passage-rN.json.
const PassageFile = "passage.json"

func amendmentFile(rev int) string { return fmt.Sprintf("passage-r%d.json", rev) }

// Defaults.
const (
	DefaultKeep     = 90 * 24 * time.Hour
	DefaultMaxBytes = 4 << 30
)

// saneEpoch: before it the clock was not set (a gateway without a clock battery boots in
// 1970), and nothing is aged by keep.
var saneEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure an archive.
type Options struct {
	Dir      string
	Keep     time.Duration // a passage archived longer ago goes; 0: DefaultKeep
	MaxBytes int64         // 0: DefaultMaxBytes
	// Free reports the free bytes of the archive's file system (statfs); nil: not checked.
	Free func() (int64, error)
	// Reserve is the outbox's disk reserve: the archive leaves twice that free, so that the
	// outbox finds room beside it (and Yield gives it more when it needs it).
	Reserve  int64
	Location *time.Location // for day folders; nil: time.Local
	Now      func() time.Time
	Logger   *slog.Logger
}

// File is one evidence file of a passage.
type File struct {
	Name string
	Data []byte
}

// Stats is the archive's part of the status.
type Stats = wire.ArchiveStats

// Archive is the gateway's archive, open for writing by one agent. Safe for concurrent use.
type Archive struct {
	o Options

	mu      sync.Mutex
	entries []*entry // oldest first
	byID    map[string]*entry
	bytes   int64
	st      Stats
}

type entry struct {
	id, day  string
	at       int64 // archived, unix ms
	bytes    int64
	revision int
	gone     bool
}

// Open opens (or makes) the archive in o.Dir: reads its index, indexes folders a crash left
// out of it, removes folders whose passage was never written, and applies keep and max_bytes.
func Open(o Options) (*Archive, error) {
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for _, d := range []string{filepath.Join(o.Dir, "index"), filepath.Join(o.Dir, "days")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
	}
	a := &Archive{o: o, byID: map[string]*entry{}}
	if err := a.load(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.pruneLocked(0)
	a.mu.Unlock()
	return a, nil
}

// load reads every day's index and checks it against the day's folders.
func (a *Archive) load() error {
	idxDays, err := indexDays(a.o.Dir)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	folders, err := os.ReadDir(filepath.Join(a.o.Dir, "days"))
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	all := map[string]bool{}
	for _, d := range idxDays {
		all[d] = true
	}
	for _, f := range folders {
		if f.IsDir() {
			all[f.Name()] = true
		}
	}
	days := make([]string, 0, len(all))
	for d := range all {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, day := range days {
		if err := a.loadDay(day); err != nil {
			return err
		}
	}
	return nil
}

func (a *Archive) loadDay(day string) error {
	var recs []Record
	err := readIndex(indexPath(a.o.Dir, day), day, func(r Record) { recs = append(recs, r) })
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("archive: %w", err)
	}
	present := map[string]bool{}
	if ents, err := os.ReadDir(dayDir(a.o.Dir, day)); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				present[e.Name()] = true
			}
		}
	}
	rewrite := false
	var kept []Record
	for _, r := range recs {
		if !present[r.ID] {
			rewrite = true // pruned, and the index not rewritten before a crash
			continue
		}
		kept = append(kept, r)
		a.note(r)
	}
	// Folders the index lacks: a crash between the files and the index line.
	var missing []string
	for id := range present {
		if _, ok := a.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing) // ids are UUIDv7: in time order
	for _, id := range missing {
		rs, err := a.recordsOf(day, id)
		if err != nil {
			a.o.Logger.Warn("archive: incomplete passage folder removed", "day", day, "id", id, "err", err)
			_ = os.RemoveAll(passageDir(a.o.Dir, day, id))
			continue
		}
		rewrite = true
		for _, r := range rs {
			kept = append(kept, r)
			a.note(r)
		}
	}
	if rewrite {
		if err := a.writeIndex(day, kept); err != nil {
			return err
		}
	}
	if len(kept) == 0 {
		_ = os.Remove(indexPath(a.o.Dir, day))
		_ = os.RemoveAll(dayDir(a.o.Dir, day))
	}
	return nil
}

// recordsOf rebuilds the index lines of a passage folder from its files.
func (a *Archive) recordsOf(day, id string) ([]Record, error) {
	dir := passageDir(a.o.Dir, day, id)
	b, err := os.ReadFile(filepath.Join(dir, PassageFile))
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(filepath.Join(dir, PassageFile))
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var size int64
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		if info, err := e.Info(); err == nil && (e.Name() == PassageFile || !strings.HasPrefix(e.Name(), "passage-r")) {
			size += info.Size()
		}
	}
	r, err := record(b, day, fi.ModTime(), size)
	if err != nil {
		return nil, err
	}
	out := []Record{r}
	for rev := 1; ; rev++ {
		b, err := os.ReadFile(filepath.Join(dir, amendmentFile(rev)))
		if err != nil {
			break
		}
		ar, err := record(b, day, fi.ModTime(), int64(len(b)))
		if err != nil {
			break
		}
		out = append(out, ar)
	}
	return out, nil
}

func record(body []byte, day string, at time.Time, size int64) (Record, error) {
	var p wire.Passage
	if err := json.Unmarshal(body, &p); err != nil {
		return Record{}, err
	}
	if p.ID == "" {
		return Record{}, errors.New("passage without id")
	}
	ended, _ := time.Parse(wire.TimeLayout, p.EndedAt)
	r := Record{ID: p.ID, Seq: p.Seq, Revision: p.Revision, EndedAt: ended, ArchivedAt: at, Lane: p.Lane,
		Alarms: p.Alarms, Bytes: size, Day: day}
	if p.Plate != nil {
		r.Plate = p.Plate.Text
	}
	return r, nil
}

// note adds an index line to the in-memory list. The caller holds mu or is loading.
func (a *Archive) note(r Record) {
	if e, ok := a.byID[r.ID]; ok {
		e.bytes += r.Bytes
		e.revision = max(e.revision, r.Revision)
	} else {
		e := &entry{id: r.ID, day: r.Day, at: r.ArchivedAt.UnixMilli(), bytes: r.Bytes, revision: r.Revision}
		a.entries = append(a.entries, e)
		a.byID[r.ID] = e
	}
	a.bytes += r.Bytes
}

// writeIndex replaces a day's index with recs (a synced temporary file and a rename).
func (a *Archive) writeIndex(day string, recs []Record) error {
	var b []byte
	for _, r := range recs {
		b = appendLine(b, r)
	}
	if err := writeSynced(indexPath(a.o.Dir, day), b); err != nil {
		return fmt.Errorf("archive: index %s: %w", day, err)
	}
	return nil
}

// ErrNoRoom is returned by Put when the archive could not make room for a passage.
var ErrNoRoom = errors.New("archive: no room for the passage")

// Put archives a stored passage: body is its JSON as published, files its distinct evidence
// files. An amendment (Revision above 0) is kept beside the passage it amends. Oldest
// passages go first to make room within max_bytes and beside the outbox's reserve.
func (a *Archive) Put(p wire.Passage, body []byte, files []File) error {
	need := int64(len(body))
	for _, f := range files {
		need += int64(len(f.Data))
	}
	now := a.o.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.Revision > 0 {
		return a.putAmendmentLocked(p, body, now)
	}
	if _, dup := a.byID[p.ID]; dup {
		return nil
	}
	if !a.pruneLocked(need) {
		a.st.Skipped++
		return ErrNoRoom
	}
	day := now.In(a.o.Location).Format("2006-01-02")
	dir := passageDir(a.o.Dir, day, p.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		a.st.Errors++
		return fmt.Errorf("archive: %w", err)
	}
	err := func() error {
		for _, f := range files {
			if !safeName(f.Name) {
				return fmt.Errorf("evidence name %q", f.Name)
			}
			if err := writeSynced(filepath.Join(dir, f.Name), f.Data); err != nil {
				return err
			}
		}
		// The passage last: a folder without it is a write cut short.
		if err := writeSynced(filepath.Join(dir, PassageFile), body); err != nil {
			return err
		}
		return syncDir(dayDir(a.o.Dir, day))
	}()
	if err != nil {
		a.st.Errors++
		_ = os.RemoveAll(dir)
		return fmt.Errorf("archive: passage %s: %w", p.ID, err)
	}
	r := Record{ID: p.ID, Seq: p.Seq, EndedAt: endedAt(p), ArchivedAt: now, Lane: p.Lane, Alarms: p.Alarms, Bytes: need, Day: day}
	if p.Plate != nil {
		r.Plate = p.Plate.Text
	}
	if err := appendIndex(indexPath(a.o.Dir, day), appendLine(nil, r)); err != nil {
		a.st.Errors++ // the folder is indexed again at the next open
		return fmt.Errorf("archive: index: %w", err)
	}
	a.note(r)
	a.st.Archived++
	return nil
}

func (a *Archive) putAmendmentLocked(p wire.Passage, body []byte, now time.Time) error {
	e, ok := a.byID[p.ID]
	if !ok || e.gone {
		return nil // its passage is not in the archive (pruned, or not archived)
	}
	if err := writeSynced(filepath.Join(passageDir(a.o.Dir, e.day, p.ID), amendmentFile(p.Revision)), body); err != nil {
		a.st.Errors++
		return fmt.Errorf("archive: amendment %s: %w", p.ID, err)
	}
	r := Record{ID: p.ID, Seq: p.Seq, Revision: p.Revision, EndedAt: endedAt(p), ArchivedAt: now, Lane: p.Lane,
		Alarms: p.Alarms, Bytes: int64(len(body)), Day: e.day}
	if p.Plate != nil {
		r.Plate = p.Plate.Text
	}
	if err := appendIndex(indexPath(a.o.Dir, e.day), appendLine(nil, r)); err != nil {
		a.st.Errors++
		return fmt.Errorf("archive: index: %w", err)
	}
	a.note(r)
	return nil
}

func endedAt(p wire.Passage) time.Time {
	t, _ := time.Parse(wire.TimeLayout, p.EndedAt)
	return t
}

// safeName is a file name that stays in its folder and is not the passage's.
func safeName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, "/\\\x00") &&
		!strings.HasPrefix(n, "passage") && n != "manifest.json" && !strings.HasSuffix(n, ".tmp")
}

// Yield frees at least need bytes for the outbox, oldest passages first, and returns what it
// freed: the outbox asks before it drops anything for its disk reserve.
func (a *Archive) Yield(need int64) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var freed int64
	a.dropLocked(ReasonDisk, func() bool { return freed < need }, &freed)
	return freed
}

// Drop reasons of the archive.
const (
	ReasonKeep     = "keep"
	ReasonMaxBytes = "max_bytes"
	ReasonDisk     = "disk"
)

// pruneLocked drops what keep and max_bytes say must go, then makes room for need more bytes
// within max_bytes and beside twice the reserve. It reports whether need fits.
func (a *Archive) pruneLocked(need int64) bool {
	now := a.o.Now()
	if now.After(saneEpoch) {
		cutoff := now.Add(-a.o.Keep).UnixMilli()
		a.dropLocked(ReasonKeep, func() bool {
			e := a.entries[0]
			return e.at > saneEpoch.UnixMilli() && e.at < cutoff
		}, nil)
	}
	if need > a.o.MaxBytes {
		return false
	}
	a.dropLocked(ReasonMaxBytes, func() bool { return a.bytes+need > a.o.MaxBytes }, nil)
	if a.o.Free == nil {
		return true
	}
	room := func() bool {
		free, err := a.o.Free()
		return err != nil || free-need >= 2*a.o.Reserve
	}
	if room() {
		return true
	}
	a.dropLocked(ReasonDisk, func() bool { return !room() }, nil)
	return room()
}

// dropLocked removes the oldest passages while more() says so (and the archive is not empty),
// then rewrites the index of each day it touched.
func (a *Archive) dropLocked(reason string, more func() bool, freed *int64) {
	touched := map[string]bool{}
	n := 0
	for len(a.entries) > 0 && more() {
		e := a.entries[0]
		a.entries[0] = nil
		a.entries = a.entries[1:]
		delete(a.byID, e.id)
		e.gone = true
		if err := os.RemoveAll(passageDir(a.o.Dir, e.day, e.id)); err != nil {
			a.o.Logger.Warn("archive: passage not removed", "id", e.id, "err", err)
		}
		a.bytes -= e.bytes
		if freed != nil {
			*freed += e.bytes
		}
		touched[e.day] = true
		n++
		switch reason {
		case ReasonKeep:
			a.st.Pruned.Keep++
		case ReasonMaxBytes:
			a.st.Pruned.MaxBytes++
		default:
			a.st.Pruned.Disk++
		}
	}
	if n == 0 {
		return
	}
	for day := range touched {
		a.rewriteDayLocked(day)
	}
	a.o.Logger.Info("archive: oldest passages removed", "reason", reason, "count", n, "bytes", a.bytes)
}

// rewriteDayLocked writes a day's index again without the passages that went.
func (a *Archive) rewriteDayLocked(day string) {
	var kept []Record
	_ = readIndex(indexPath(a.o.Dir, day), day, func(r Record) {
		if e, ok := a.byID[r.ID]; ok && e.day == day {
			kept = append(kept, r)
		}
	})
	if len(kept) == 0 {
		_ = os.Remove(indexPath(a.o.Dir, day))
		_ = os.RemoveAll(dayDir(a.o.Dir, day))
		return
	}
	if err := a.writeIndex(day, kept); err != nil {
		a.o.Logger.Warn("archive: index not rewritten (rebuilt at the next open)", "day", day, "err", err)
	}
}

// Maintain applies keep; the agent calls it every few minutes.
func (a *Archive) Maintain() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pruneLocked(0)
}

// Stats reports what the archive holds.
func (a *Archive) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.st
	s.Passages, s.Bytes, s.MaxBytes = len(a.entries), a.bytes, a.o.MaxBytes
	if len(a.entries) > 0 {
		s.OldestUnixMs = a.entries[0].at
	}
	return s
}

// Dir is the archive's folder.
func (a *Archive) Dir() string { return a.o.Dir }
