// Package trips is the durable ledger of which exit used each e-manifest (one manifest covers one
// trip), shared by a gateway's lanes; the manifest check (agent/checks/manifest) asks it.
package trips

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sitegate/agent/control"
	"sitegate/models/manifest"
)

// LedgerKeep is how long a use is remembered after its exit: longer than any manifest is
// valid for, so a manifest cannot be used twice within its validity.
const LedgerKeep = 31 * 24 * time.Hour

// ledgerMax bounds the uses kept (a busy exit makes about a thousand a day).
const ledgerMax = 200000

// Ledger is the durable record of which exit used each manifest, shared by a gateway's lanes.
// It is a small JSON file rewritten atomically (temporary file, fsync, rename) at each use, so
// a power cut leaves the old or the new record, never a torn one.
type Ledger struct {
	store control.Store
	name  string
	mu    sync.Mutex
	uses  map[string]use
}

type use struct {
	Visit string    `json:"visit"`
	At    time.Time `json:"at"`
}

// LedgerFile is the ledger's file in the control store.
const LedgerFile = "manifests-used.json"

// OpenLedger reads the ledger kept in the control store folder dir (missing: empty). A file
// that cannot be parsed is set aside as .bad and the ledger starts empty, with the error
// returned for the log.
func OpenLedger(dir string) (*Ledger, error) {
	l := &Ledger{store: control.Store{Dir: dir}, name: LedgerFile, uses: map[string]use{}}
	b, err := l.store.Load(l.name)
	if err != nil || b == nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l.uses); err != nil {
		l.uses = map[string]use{}
		path := filepath.Join(dir, l.name)
		_ = os.Rename(path, path+".bad")
		return l, fmt.Errorf("manifest ledger %s is damaged, set aside as .bad: %w", path, err)
	}
	return l, nil
}

// Used reports the exit that used manifest id, if one did.
func (l *Ledger) Used(id string) (manifest.Use, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u, ok := l.uses[id]
	return manifest.Use{Visit: u.Visit, At: u.At}, ok
}

// Record notes that visit used manifest id, its exit ending at, and persists the ledger. The
// first use of a manifest is kept: judging a visit again changes nothing.
func (l *Ledger) Record(id, visit string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.uses[id]; ok {
		return nil
	}
	l.uses[id] = use{Visit: visit, At: at}
	l.prune(at)
	return l.save()
}

// prune forgets uses older than LedgerKeep before now, then the oldest past ledgerMax.
func (l *Ledger) prune(now time.Time) {
	for id, u := range l.uses {
		if now.Sub(u.At) > LedgerKeep {
			delete(l.uses, id)
		}
	}
	for len(l.uses) > ledgerMax {
		var oldest string
		for id, u := range l.uses {
			if oldest == "" || u.At.Before(l.uses[oldest].At) {
				oldest = id
			}
		}
		delete(l.uses, oldest)
	}
}

// Len is the number of uses remembered.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.uses)
}

func (l *Ledger) save() error {
	b, err := json.Marshal(l.uses)
	if err != nil {
		return err
	}
	return l.store.Save(l.name, b)
}
