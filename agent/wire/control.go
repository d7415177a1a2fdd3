package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	config "sitegate/firmware-config"
)

// Desired is a config/desired message.
type Desired struct {
	Version int64 `json:"version"`
	// Config is the remotely settable part of the config, as sent.
	Config json.RawMessage `json:"config"`
}

// Statuses of config/reported and registry/reported.
const (
	Applied    = "applied"
	Rejected   = "rejected"
	RolledBack = "rolled_back"
)

// Reported is the config/reported message (retained): what became of the latest desired config,
// and which version runs.
type Reported struct {
	Schema  string          `json:"schema"` // sitegate.config_reported/v1
	Version int64           `json:"version"`
	Status  string          `json:"status"`
	Errors  config.Problems `json:"errors"`
	// Reason says why a config was rolled back.
	Reason string `json:"reason,omitempty"`
	// RunningVersion is the version that runs now (0: the local file's config).
	RunningVersion int64 `json:"running_version"`
	// Ignored names a desired config that was not newer than the running one.
	Ignored *Ignored `json:"ignored,omitempty"`
	Time    string   `json:"time"`
	// Config is the remotely settable part of the running config.
	Config json.RawMessage `json:"config,omitempty"`
}

// Ignored is a desired config that was ignored, and why.
type Ignored struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// RegistryReported is the {root}/registry/reported message: what became of the latest site
// registry this gateway received. {root}/manifests/reported has the same shape (schema
// sitegate.manifests_reported/v1) for the site's manifests.
type RegistryReported struct {
	Schema  string `json:"schema"` // sitegate.registry_reported/v1
	Version int64  `json:"version"`
	Status  string `json:"status"` // applied | rejected
	Error   string `json:"error,omitempty"`
	// RunningVersion is the registry version in use now.
	RunningVersion int64  `json:"running_version"`
	Time           string `json:"time"`
}

// Request is a cmd/{name} message.
type Request struct {
	ID   string                     `json:"id"`
	Args map[string]json.RawMessage `json:"args"`
	// ExpiresAt, when set, is when the request stops being valid (RFC 3339).
	ExpiresAt string `json:"expires_at,omitempty"`
}

// ErrBadArgs is returned (wrapped) by a command handler given arguments it cannot use.
var ErrBadArgs = errors.New("bad arguments")

// Expired reports whether the request's expires_at has passed.
func (r Request) Expired(now time.Time) bool {
	if r.ExpiresAt == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, r.ExpiresAt)
	return err != nil || !now.Before(t)
}

// String returns argument name as a string, or def when absent.
func (r Request) String(name, def string) (string, error) {
	v, ok := r.Args[name]
	if !ok {
		return def, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("%w: %s must be a string", ErrBadArgs, name)
	}
	return s, nil
}

// Only refuses arguments other than names.
func (r Request) Only(names ...string) error {
	var extra []string
	for k := range r.Args {
		ok := false
		for _, n := range names {
			ok = ok || n == k
		}
		if !ok {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("%w: unknown argument(s) %s", ErrBadArgs, strings.Join(extra, ", "))
	}
	return nil
}

// Reply is a cmd/{name}/reply message.
type Reply struct {
	Schema string `json:"schema"` // sitegate.reply/v1
	ID     string `json:"id"`
	Cmd    string `json:"cmd"`
	OK     bool   `json:"ok"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Drops is the payload on the drops topic: what a bound of the store dropped, so the platform
// can tell a loss from a delay. SeqRanges covers the passage seqs that will never arrive.
type Drops struct {
	Schema    string        `json:"schema"` // sitegate.drops/v1
	Site      string        `json:"site"`
	Gateway   string        `json:"gateway"`
	Time      string        `json:"time"`
	Reason    string        `json:"reason"` // max_bytes | max_age | disk_reserve | corrupt
	Passages  int           `json:"passages"`
	Evidence  int           `json:"evidence"`
	SeqRanges [][2]uint64   `json:"seq_ranges,omitempty"`
	Dropped   []DroppedItem `json:"dropped"`
}

// DroppedItem is one message of a drops announcement.
type DroppedItem struct {
	Seq   uint64 `json:"seq,omitempty"` // the passage's seq (its batch number)
	Kind  string `json:"kind"`          // passage | evidence | announcement
	Ref   string `json:"id,omitempty"`  // the passage id it belongs to
	Topic string `json:"topic,omitempty"`
	Bytes int64  `json:"bytes"`
}

// AddDropped counts one dropped message into d, merging passage seqs into ranges.
func (d *Drops) AddDropped(x DroppedItem) {
	d.Dropped = append(d.Dropped, x)
	switch x.Kind {
	case "evidence":
		d.Evidence++
	case "passage":
		d.Passages++
		if n := len(d.SeqRanges); n > 0 && d.SeqRanges[n-1][1]+1 == x.Seq {
			d.SeqRanges[n-1][1] = x.Seq
		} else if x.Seq > 0 {
			d.SeqRanges = append(d.SeqRanges, [2]uint64{x.Seq, x.Seq})
		}
	}
}
