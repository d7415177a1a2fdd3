package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"sitegate/agent/archive"
	"sitegate/agent/control"
	"sitegate/agent/lane"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
)

// ArchiveDir is the evidence archive's folder under store.dir.
const ArchiveDir = "archive"

// openArchive opens the evidence archive beside the outbox. An archive that cannot be opened
// does not stop the agent: passages are still delivered, and the status says it.
func (g *Gateway) openArchive(reserve int64) error {
	dir := filepath.Join(g.cfg.Store.Dir, ArchiveDir)
	a, err := archive.Open(archive.Options{
		Dir: dir, Keep: g.cfg.Archive.Keep.D(), MaxBytes: int64(g.cfg.Archive.MaxBytes),
		Free:    func() (int64, error) { return outbox.FreeSpace(dir) },
		Reserve: reserve, Location: g.cfg.Location(), Logger: g.log,
	})
	if err != nil {
		g.log.Error("evidence archive not available: passages are delivered but not kept", "err", err)
		return nil
	}
	g.archive.Store(a)
	return nil
}

// yieldArchive gives the outbox room from the archive (outbox.BadgerOptions.Yield).
func (g *Gateway) yieldArchive(need int64) int64 {
	if a := g.archive.Load(); a != nil {
		return a.Yield(need)
	}
	return 0
}

// archivePassage keeps a stored passage in the archive (lane.Options.Archive).
func (g *Gateway) archivePassage(p lane.Passage, body []byte, files []lane.Evidence) {
	a := g.archive.Load()
	if a == nil {
		return
	}
	fs := make([]archive.File, len(files))
	for i, f := range files {
		fs[i] = archive.File{Name: f.Name, Data: f.JPEG}
	}
	if err := a.Put(p, body, fs); err != nil {
		g.log.Warn("passage not archived", "id", p.ID, "err", err)
	}
}

// Chunk bounds of cmd/evidence.
const (
	DefaultChunkBytes = 256 << 10
	MinChunkBytes     = 16 << 10
	MaxChunkBytes     = 1 << 20
)

// cmdEvidence sends an archived passage's files in chunks through the outbox, on
// evidence_chunk/{passage_id}/{name}: {"id": PASSAGE_ID, "names": [...], "chunk_bytes": N}.
// Without names, every file the archive holds and the passage's JSON (passage.json) go.
func (g *Gateway) cmdEvidence(_ context.Context, r control.Request) (any, error) {
	if err := r.Only("id", "names", "chunk_bytes"); err != nil {
		return nil, err
	}
	id, err := r.String("id", "")
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("%w: id must name the passage", control.ErrBadArgs)
	}
	var names []string
	if v, ok := r.Args["names"]; ok {
		if err := json.Unmarshal(v, &names); err != nil {
			return nil, fmt.Errorf("%w: names must be a list of file names", control.ErrBadArgs)
		}
	}
	chunk := DefaultChunkBytes
	if v, ok := r.Args["chunk_bytes"]; ok {
		if err := json.Unmarshal(v, &chunk); err != nil || chunk < MinChunkBytes || chunk > MaxChunkBytes {
			return nil, fmt.Errorf("%w: chunk_bytes must be a number from %d to %d", control.ErrBadArgs, MinChunkBytes, MaxChunkBytes)
		}
	}
	a := g.archive.Load()
	if a == nil {
		return nil, errors.New("the evidence archive is not available")
	}
	p, err := archive.Lookup(a.Dir(), id)
	if err != nil {
		return nil, err
	}
	type file struct{ name, kind string }
	var want []file
	if len(names) == 0 || slices.Contains(names, archive.PassageFile) {
		want = append(want, file{archive.PassageFile, "passage"})
	}
	for _, e := range p.Passage.Evidence {
		if !slices.Contains(p.Files, e.Name) {
			continue
		}
		if len(names) == 0 || slices.Contains(names, e.Name) || slices.ContainsFunc(e.Also, func(n string) bool { return slices.Contains(names, n) }) {
			want = append(want, file{e.Name, e.Kind})
		}
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("%w: passage %s holds none of %v (it holds %v)", control.ErrBadArgs, id, names, p.Files)
	}
	type sent struct {
		Name   string `json:"name"`
		Bytes  int    `json:"bytes"`
		SHA256 string `json:"sha256"`
		Chunks int    `json:"chunks"`
		Topic  string `json:"topic"`
	}
	var out []sent
	for _, f := range want {
		b, err := os.ReadFile(filepath.Join(p.Dir, f.name))
		if err != nil {
			return nil, fmt.Errorf("passage %s: %s: %w", id, f.name, err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		total := max(1, (len(b)+chunk-1)/chunk)
		topic := g.topics.EvidenceChunk(id, f.name)
		msgs := make([]outbox.Message, 0, total)
		for i := range total {
			part := b[i*chunk : min(len(b), (i+1)*chunk)]
			payload, err := json.Marshal(wire.EvidenceChunk{Schema: wire.EvidenceChunkSchema, Request: r.ID, PassageID: id,
				Name: f.name, Kind: f.kind, Index: i, Total: total, Offset: int64(i * chunk), FileBytes: int64(len(b)), SHA256: h, Data: part})
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, outbox.Message{Topic: topic, Payload: payload, QoS: 1, Kind: outbox.KindEvidence, Ref: id})
		}
		if _, err := g.box.Append(msgs...); err != nil {
			return nil, fmt.Errorf("passage %s: %s: %w", id, f.name, err)
		}
		out = append(out, sent{Name: f.name, Bytes: len(b), SHA256: h, Chunks: total, Topic: topic})
	}
	return map[string]any{"passage_id": id, "chunk_bytes": chunk, "files": out}, nil
}

// sealer is the lanes' signer; nil (unsigned passages) before Run opened it.
func (g *Gateway) sealer() lane.Sealer {
	if g.seal == nil {
		return nil
	}
	return g.seal
}
