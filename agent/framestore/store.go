package framestore

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

// Schemas of the files a passage's folder holds.
const (
	KeptSchema  = "sitegate.kept/v1"
	LabelSchema = "sitegate.label/v1"
)

// File names in a passage's folder.
const (
	KeptFile  = "kept.json"
	LabelFile = "label.json"
	FrameFile = "frame.jpg"
)

// Kept describes one passage's judged frame (kept.json).
type Kept struct {
	Schema    string             `json:"schema"`
	PassageID string             `json:"passage_id"`
	Camera    string             `json:"camera"`
	Check     string             `json:"check"`
	At        time.Time          `json:"at"` // when the frame was taken
	Scorer    string             `json:"scorer"`
	Model     string             `json:"model"`
	Score     float64            `json:"score"`
	Threshold float64            `json:"threshold"`
	Regions   []wire.RegionScore `json:"regions"`
	// Crops name each region's cut-out file, in the order of Regions.
	Crops []string `json:"crops"`
}

// Label is a person's verdict on a kept frame (label.json).
type Label struct {
	Schema string    `json:"schema"`
	Check  string    `json:"check"`
	Label  string    `json:"label"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at"`
}

// Entry is one passage's kept frames as listed.
type Entry struct {
	Kept  Kept
	Dir   string
	Label *Label // nil until reviewed
	bytes int64
}

// Options bound a Store.
type Options struct {
	// MaxBytes bounds the files kept; default 1 GiB.
	MaxBytes int64
	// MaxAge is how long frames are kept; default 30 days.
	MaxAge time.Duration
	// Room reports whether n more bytes fit on the disk beside the outbox (its Room); nil
	// means always.
	Room   func(n int64) bool
	Now    func() time.Time
	Logger *slog.Logger
}

// ErrNoRoom is returned by Put when the disk has no room beside the outbox's reserve even after
// the oldest frames went.
var ErrNoRoom = errors.New("framestore: no room beside the store's reserve")

// Store is the frames kept under one folder. Put and Label are for the one agent that owns it;
// List may run in any process.
type Store struct {
	dir string
	o   Options

	mu      sync.Mutex
	entries []*Entry // oldest first
	bytes   int64
}

// Open indexes the frames kept under dir (creating it).
func Open(dir string, o Options) (*Store, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("framestore: %w", err)
	}
	s := &Store{dir: dir, o: o}
	es, err := List(dir, "")
	if err != nil {
		return nil, err
	}
	for i := range es {
		s.entries = append(s.entries, &es[i])
		s.bytes += es[i].bytes
	}
	s.mu.Lock()
	s.trim(0)
	s.mu.Unlock()
	return s, nil
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// Bytes is what the kept files take.
func (s *Store) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Len is the number of passages kept.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Put keeps a passage's judged frame and its regions' crops (JPEG, in the order of k.Regions,
// named by k.Crops). The folder appears whole or not at all.
func (s *Store) Put(k Kept, frame []byte, crops [][]byte) error {
	if !safeName(k.Camera) || !safeName(k.PassageID) || (k.Check != "" && !safeName(k.Check)) {
		return fmt.Errorf("framestore: camera %q, passage %q, check %q: not names a folder may take", k.Camera, k.PassageID, k.Check)
	}
	if len(crops) != len(k.Crops) {
		return fmt.Errorf("framestore: %d crops for %d names", len(crops), len(k.Crops))
	}
	for _, c := range k.Crops {
		if !safeName(strings.TrimSuffix(c, ".jpg")) || c == FrameFile || c == KeptFile || c == LabelFile {
			return fmt.Errorf("framestore: crop name %q", c)
		}
	}
	k.Schema = KeptSchema
	meta, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	size := int64(len(frame) + len(meta))
	for _, c := range crops {
		size += int64(len(c))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trim(size)
	for s.o.Room != nil && !s.o.Room(size) {
		if !s.dropOldest() {
			return ErrNoRoom
		}
	}
	final := filepath.Join(s.dir, k.Camera, folder(k))
	tmp := filepath.Join(s.dir, k.Camera, "."+folder(k)+".tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return fmt.Errorf("framestore: %w", err)
	}
	write := func(name string, b []byte) error { return os.WriteFile(filepath.Join(tmp, name), b, 0o640) }
	err = write(FrameFile, frame)
	for i := 0; err == nil && i < len(crops); i++ {
		err = write(k.Crops[i], crops[i])
	}
	if err == nil {
		err = write(KeptFile, meta)
	}
	if err == nil {
		os.RemoveAll(final)
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("framestore: %w", err)
	}
	s.entries = append(s.entries, &Entry{Kept: k, Dir: final, bytes: size})
	s.bytes += size
	return nil
}

// folder is the name of a kept frame's folder under its camera's: the passage id for the mud
// check, and {passage}.{check} for another check of the same camera (cover), so that each
// check keeps its own frame of a passage.
func folder(k Kept) string {
	if k.Check == "" || k.Check == "mud" {
		return k.PassageID
	}
	return k.PassageID + "." + k.Check
}

// trim drops what is past the age bound, and the oldest until need more bytes fit in MaxBytes.
// The caller holds mu.
func (s *Store) trim(need int64) {
	cut := s.o.Now().Add(-s.o.MaxAge)
	for len(s.entries) > 0 && s.entries[0].Kept.At.Before(cut) {
		s.remove(0)
	}
	for s.bytes+need > s.o.MaxBytes && s.dropOldest() {
	}
}

// dropOldest removes the oldest unlabelled passage, or else the oldest labelled one.
func (s *Store) dropOldest() bool {
	if len(s.entries) == 0 {
		return false
	}
	for i, e := range s.entries {
		if e.Label == nil {
			s.remove(i)
			return true
		}
	}
	s.remove(0)
	return true
}

func (s *Store) remove(i int) {
	e := s.entries[i]
	if err := os.RemoveAll(e.Dir); err != nil {
		s.o.Logger.Warn("kept frames not removed", "dir", e.Dir, "err", err)
	}
	s.bytes -= e.bytes
	s.entries = append(s.entries[:i], s.entries[i+1:]...)
}

// ErrUnknownPassage is returned by Label for a passage whose frames are not kept.
var ErrUnknownPassage = errors.New("framestore: no frames kept for that passage")

// Label records a review of a passage's check on its kept frames and returns the camera that
// judged them.
func (s *Store) Label(passageID, check, label, by string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.Kept.PassageID != passageID || e.Kept.Check != check {
			continue
		}
		l := Label{Schema: LabelSchema, Check: check, Label: label, By: by, At: s.o.Now()}
		b, _ := json.MarshalIndent(l, "", "  ")
		tmp := filepath.Join(e.Dir, "."+LabelFile+".tmp")
		if err := os.WriteFile(tmp, b, 0o640); err != nil {
			return "", fmt.Errorf("framestore: %w", err)
		}
		if err := os.Rename(tmp, filepath.Join(e.Dir, LabelFile)); err != nil {
			return "", fmt.Errorf("framestore: %w", err)
		}
		e.Label = &l
		return e.Kept.Camera, nil
	}
	return "", ErrUnknownPassage
}

// Labelled counts the reviewed passages of camera ("" for all).
func (s *Store) Labelled(camera string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		if e.Label != nil && (camera == "" || e.Kept.Camera == camera) {
			n++
		}
	}
	return n
}

// List reads the passages kept under dir for camera ("" for every camera), oldest first. It
// only reads, so another process may call it while the agent writes: folders appear whole.
func List(dir, camera string) ([]Entry, error) {
	cams, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("framestore: %w", err)
	}
	var out []Entry
	for _, c := range cams {
		if !c.IsDir() || (camera != "" && c.Name() != camera) || strings.HasPrefix(c.Name(), ".") {
			continue
		}
		ps, err := os.ReadDir(filepath.Join(dir, c.Name()))
		if err != nil {
			return nil, fmt.Errorf("framestore: %w", err)
		}
		for _, p := range ps {
			if !p.IsDir() {
				continue
			}
			d := filepath.Join(dir, c.Name(), p.Name())
			if strings.HasPrefix(p.Name(), ".") { // a Put that did not finish
				continue
			}
			e, err := readEntry(d)
			if err != nil {
				continue // a folder that is not ours, or one being removed
			}
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kept.At.Before(out[j].Kept.At) })
	return out, nil
}

func readEntry(d string) (Entry, error) {
	b, err := os.ReadFile(filepath.Join(d, KeptFile))
	if err != nil {
		return Entry{}, err
	}
	var k Kept
	if err := json.Unmarshal(b, &k); err != nil || k.Schema != KeptSchema {
		return Entry{}, fmt.Errorf("framestore: %s: not a kept frame", d)
	}
	e := Entry{Kept: k, Dir: d}
	files, _ := os.ReadDir(d)
	for _, f := range files {
		if info, err := f.Info(); err == nil {
			e.bytes += info.Size()
		}
	}
	if lb, err := os.ReadFile(filepath.Join(d, LabelFile)); err == nil {
		var l Label
		if json.Unmarshal(lb, &l) == nil && l.Schema == LabelSchema {
			e.Label = &l
		}
	}
	return e, nil
}

// safeName reports whether s can be one folder's name: 1 to 64 letters, digits, dashes and
// underscores.
func safeName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
