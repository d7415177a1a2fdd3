package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sitegate/agent/wire"
)

// ErrNotFound is returned for a passage the archive does not hold.
var ErrNotFound = errors.New("not in the archive")

// Passage is one archived passage read back: its JSON as published (and its amendments'), and
// the paths of its evidence files, in the order the passage lists them.
type Passage struct {
	ID         string
	Dir        string
	Body       []byte
	Amendments [][]byte
	Passage    wire.Passage
	Files      []string // names, in Dir
}

// Lookup reads an archived passage by id from the archive in dir (the agent's, or read while it
// runs).
func Lookup(dir, id string) (Passage, error) {
	if id == "" || strings.ContainsAny(id, "/\\") || id == "." || id == ".." {
		return Passage{}, fmt.Errorf("passage %q: %w", id, ErrNotFound)
	}
	days, err := indexDays(dir)
	if err != nil {
		return Passage{}, err
	}
	// Newest first: an officer asks about recent trucks more often.
	for i := len(days) - 1; i >= 0; i-- {
		pd := passageDir(dir, days[i], id)
		if _, err := os.Stat(filepath.Join(pd, PassageFile)); err == nil {
			return readPassage(pd, id)
		}
	}
	// A folder its index does not name yet (written, not indexed): look in the folders.
	ents, _ := os.ReadDir(filepath.Join(dir, "days"))
	for _, e := range ents {
		pd := passageDir(dir, e.Name(), id)
		if _, err := os.Stat(filepath.Join(pd, PassageFile)); err == nil {
			return readPassage(pd, id)
		}
	}
	return Passage{}, fmt.Errorf("passage %s: %w", id, ErrNotFound)
}

func readPassage(pd, id string) (Passage, error) {
	out := Passage{ID: id, Dir: pd}
	var err error
	if out.Body, err = os.ReadFile(filepath.Join(pd, PassageFile)); err != nil {
		return Passage{}, fmt.Errorf("passage %s: %w", id, err)
	}
	if err := json.Unmarshal(out.Body, &out.Passage); err != nil {
		return Passage{}, fmt.Errorf("passage %s: %w", id, err)
	}
	for rev := 1; ; rev++ {
		b, err := os.ReadFile(filepath.Join(pd, amendmentFile(rev)))
		if err != nil {
			break
		}
		out.Amendments = append(out.Amendments, b)
	}
	for _, e := range out.Passage.Evidence {
		if _, err := os.Stat(filepath.Join(pd, e.Name)); err == nil && safeName(e.Name) {
			out.Files = append(out.Files, e.Name)
		}
	}
	return out, nil
}

// ManifestName is the export's list of files with their SHA-256.
const ManifestName = "manifest.json"

// Manifest is what an export holds.
type Manifest struct {
	Schema  string         `json:"schema"` // sitegate.export/v1
	ID      string         `json:"id"`
	Seq     uint64         `json:"seq"`
	Gateway string         `json:"gateway"`
	Site    string         `json:"site"`
	Files   []ManifestFile `json:"files"`
	// Missing are evidence files the passage lists that the archive does not hold (dropped
	// from the outbox before the archive had them, or never taken).
	Missing []string `json:"missing,omitempty"`
}

// ManifestFile is one exported file.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ExportSchema names the manifest.
const ExportSchema = "sitegate.export/v1"

// Export writes an archived passage into out: passage.json (and its amendments) as published,
// each evidence file byte for byte, and manifest.json with every file's SHA-256.
func Export(dir, id, out string) (Manifest, error) {
	p, err := Lookup(dir, id)
	if err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Schema: ExportSchema, ID: p.ID, Seq: p.Passage.Seq, Gateway: p.Passage.Gateway, Site: p.Passage.Site, Files: []ManifestFile{}}
	write := func(name string, b []byte) error {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o640); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m.Files = append(m.Files, ManifestFile{Name: name, Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
		return nil
	}
	if err := write(PassageFile, p.Body); err != nil {
		return Manifest{}, err
	}
	for i, b := range p.Amendments {
		if err := write(amendmentFile(i+1), b); err != nil {
			return Manifest{}, err
		}
	}
	have := map[string]bool{}
	for _, name := range p.Files {
		b, err := os.ReadFile(filepath.Join(p.Dir, name))
		if err != nil {
			return Manifest{}, fmt.Errorf("passage %s: %s: %w (removed from the archive meanwhile?)", id, name, err)
		}
		if err := write(name, b); err != nil {
			return Manifest{}, err
		}
		have[name] = true
	}
	for _, e := range p.Passage.Evidence {
		if !have[e.Name] {
			m.Missing = append(m.Missing, e.Name)
		}
	}
	sort.Strings(m.Missing)
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, ManifestName), append(b, '\n'), 0o640); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
