package control

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sitegate/agent/wire"
)

// Statuses of config/reported.
const (
	Applied    = wire.Applied
	Rejected   = wire.Rejected
	RolledBack = wire.RolledBack
)

// Reported is the config/reported message.
type Reported = wire.Reported

// Ignored is a desired config that was ignored, and why.
type Ignored = wire.Ignored

// ReportedSchema is the schema name of config/reported.
const ReportedSchema = wire.ConfigReportedSchema

// AppliedState is the last applied desired config, kept in the store so that a gateway that reboots
// with the broker down runs it.
type AppliedState struct {
	Version int64           `json:"version"`
	Config  json.RawMessage `json:"config"`
	Time    string          `json:"time"`
}

// Store keeps the control plane's files in one folder: the last applied config, the candidate
// being applied, and the last registry taken over MQTT.
type Store struct{ Dir string }

// Files of a Store.
const (
	AppliedFile   = "applied.json"
	CandidateFile = "candidate.json"
	RegistryFile  = "registry.json"
	ManifestsFile = "manifests.json"
)

// Save writes name atomically (temporary file, fsync, rename).
func (s Store) Save(name string, data []byte) error {
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return fmt.Errorf("control store %s: %w", s.Dir, err)
	}
	tmp, err := os.CreateTemp(s.Dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("control store %s: %w", s.Dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("control store %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("control store %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("control store %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		return fmt.Errorf("control store %s: %w", name, err)
	}
	if d, err := os.Open(s.Dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Load reads name; a missing file is (nil, nil).
func (s Store) Load(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("control store: %w", err)
	}
	return b, nil
}

// Remove deletes name; a missing file is not an error.
func (s Store) Remove(name string) error {
	if err := os.Remove(filepath.Join(s.Dir, name)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("control store: %w", err)
	}
	return nil
}

// LoadApplied reads the last applied config; a missing file is the zero state (version 0).
func (s Store) LoadApplied() (AppliedState, error) {
	b, err := s.Load(AppliedFile)
	if err != nil || b == nil {
		return AppliedState{}, err
	}
	var a AppliedState
	if err := json.Unmarshal(b, &a); err != nil {
		return AppliedState{}, fmt.Errorf("control store %s: %w", AppliedFile, err)
	}
	return a, nil
}

// SaveApplied records a config as the last applied one.
func (s Store) SaveApplied(a AppliedState) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.Save(AppliedFile, b)
}
