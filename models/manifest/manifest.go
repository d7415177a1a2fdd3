package manifest

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"sitegate/drivers/plate"
	"sitegate/models"
)

// MaxBytes bounds a manifests document.
const MaxBytes = 8 << 20

// MaxManifests bounds how many manifests one document may hold.
const MaxManifests = 100000

// Manifest is one electronic transfer manifest: one trip of one truck.
type Manifest struct {
	ID          string `json:"id" yaml:"id"`
	Plate       string `json:"plate" yaml:"plate"`
	ValidFrom   string `json:"valid_from" yaml:"valid_from"` // RFC 3339, with its offset
	ValidTo     string `json:"valid_to" yaml:"valid_to"`
	Origin      string `json:"origin,omitempty" yaml:"origin"`
	Destination string `json:"destination,omitempty" yaml:"destination"`
	PermitNo    string `json:"permit_no,omitempty" yaml:"permit_no"`

	from, to time.Time
}

// Document is the manifests as written in a file or message.
type Document struct {
	Version   int64      `json:"version" yaml:"version"`
	Manifests []Manifest `json:"manifests" yaml:"manifests"`
}

// Set is a validated document indexed by normalised plate. It is immutable once built, so it can
// be swapped atomically and read from any goroutine.
type Set struct {
	Version int64
	n       int
	byPlate map[string][]Manifest // each plate's manifests by valid_from
	byID    map[string]bool
}

// Len is the number of manifests.
func (s *Set) Len() int { return s.n }

// Has reports whether the set holds a manifest of this id.
func (s *Set) Has(id string) bool { return s != nil && s.byID[id] }

var idRe = regexp.MustCompile(`^[\p{L}\p{N}._:/-]{1,64}$`)

// Parse validates a manifests document (JSON or YAML). Unknown keys are errors; every problem is
// listed, one per line, with its path.
func Parse(data []byte) (*Set, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("document is larger than %d bytes", MaxBytes)
	}
	var doc Document
	if err := models.DecodeStrict(data, "manifests", &doc); err != nil {
		return nil, err
	}
	var problems []string
	bad := func(path, format string, args ...any) {
		if len(problems) < 100 {
			problems = append(problems, path+": "+fmt.Sprintf(format, args...))
		}
	}
	if doc.Version < 0 {
		bad("version", "%d must not be negative", doc.Version)
	}
	if len(doc.Manifests) > MaxManifests {
		return nil, fmt.Errorf("manifests: %d is more than %d", len(doc.Manifests), MaxManifests)
	}
	s := &Set{Version: doc.Version, byPlate: map[string][]Manifest{}, byID: make(map[string]bool, len(doc.Manifests))}
	for i, m := range doc.Manifests {
		p := fmt.Sprintf("manifests[%d]", i)
		ok := true
		if !idRe.MatchString(m.ID) {
			bad(p+".id", "%q is not 1 to 64 letters, digits or ._:/-", cut(m.ID))
			ok = false
		} else if s.byID[m.ID] {
			bad(p+".id", "%s is listed twice", m.ID)
			ok = false
		}
		n, err := plate.NormalizePlate(m.Plate)
		if err != nil {
			bad(p+".plate", "%v", err)
			ok = false
		}
		var e1, e2 error
		m.from, e1 = time.Parse(time.RFC3339, m.ValidFrom)
		if e1 != nil {
			bad(p+".valid_from", "%q is not an RFC 3339 time with its offset", cut(m.ValidFrom))
		}
		m.to, e2 = time.Parse(time.RFC3339, m.ValidTo)
		if e2 != nil {
			bad(p+".valid_to", "%q is not an RFC 3339 time with its offset", cut(m.ValidTo))
		}
		if e1 == nil && e2 == nil && !m.to.After(m.from) {
			bad(p+".valid_to", "%s is not after valid_from %s", m.ValidTo, m.ValidFrom)
		}
		for _, f := range []struct{ name, v string }{{"origin", m.Origin}, {"destination", m.Destination}, {"permit_no", m.PermitNo}} {
			if len(f.v) > 256 {
				bad(p+"."+f.name, "is longer than 256 bytes")
			}
		}
		if !ok || e1 != nil || e2 != nil {
			continue
		}
		m.Plate = n
		s.byPlate[n] = append(s.byPlate[n], m)
		s.byID[m.ID] = true
		s.n++
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	for _, ms := range s.byPlate {
		sort.Slice(ms, func(i, j int) bool { return ms[i].from.Before(ms[j].from) })
	}
	return s, nil
}

func cut(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Load reads a manifests file, JSON or YAML.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("manifests %s: %w", path, err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("manifests %s: %w", path, err)
	}
	return s, nil
}

// Kinds of a manifest check's outcome, in the check's `kind`.
const (
	KindValid         = "valid"
	KindNone          = "none"           // no manifest for the plate
	KindPlateMismatch = "plate_mismatch" // none for the plate, but one for a plate one character away
	KindExpired       = "expired"        // the plate's manifests all ended before the exit
	KindNotYetValid   = "not_yet_valid"  // the plate's next manifest starts after the exit
	KindUsed          = "manifest_used"  // the plate's manifest valid now was used by another exit
)

// Result is the manifest check of a passage.
type Result struct {
	Verdict     models.Verdict `json:"verdict"`
	Kind        string         `json:"kind,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	ID          string         `json:"id,omitempty"`
	Origin      string         `json:"origin,omitempty"`
	Destination string         `json:"destination,omitempty"`
	PermitNo    string         `json:"permit_no,omitempty"`
	ValidTo     string         `json:"valid_to,omitempty"`
	Version     int64          `json:"version,omitempty"` // the manifests version judged against
	// UsedBy is, for manifest_used, when the earlier exit on the manifest ended.
	UsedBy string `json:"used_by,omitempty"`
}

// Use is an earlier exit on a manifest.
type Use struct {
	Visit string    // the visit that used it (its lane and start)
	At    time.Time // when that visit ended
}

// Judge judges an exit of plate p ending at: the plate needs a manifest valid at that time that
// no other visit used (used reports an earlier use of a manifest id; visit is this visit's key,
// so that judging one visit again is not a second use). It returns the manifest it chose, if
// any. A nil set cannot judge.
func (s *Set) Judge(p string, at time.Time, visit string, used func(id string) (Use, bool)) (Result, *Manifest) {
	if s == nil {
		return Result{Verdict: models.Unknown, Reason: "no manifests held"}, nil
	}
	r := Result{Verdict: models.Alarm, Version: s.Version}
	n, err := plate.NormalizePlate(p)
	if err != nil {
		return Result{Verdict: models.Unknown, Reason: "no plate read", Version: s.Version}, nil
	}
	ms := s.byPlate[n]
	if len(ms) == 0 {
		if near := s.nearest(n); near != nil {
			r.Kind, r.ID = KindPlateMismatch, near.ID
			r.Reason = fmt.Sprintf("no manifest for %s; manifest %s is for %s", n, near.ID, near.Plate)
			return r, nil
		}
		r.Kind, r.Reason = KindNone, "no manifest for "+n
		return r, nil
	}
	var usedOne *Manifest
	var usedAt Use
	for i := range ms {
		m := &ms[i]
		if at.Before(m.from) || !at.Before(m.to) {
			continue
		}
		if u, ok := used(m.ID); ok && u.Visit != visit {
			if usedOne == nil {
				usedOne, usedAt = m, u
			}
			continue
		}
		r.fill(m)
		r.Verdict, r.Kind = models.OK, KindValid
		return r, m
	}
	if usedOne != nil {
		r.fill(usedOne)
		r.Kind = KindUsed
		r.UsedBy = usedAt.At.In(at.Location()).Format(time.RFC3339)
		r.Reason = fmt.Sprintf("manifest %s was used by an exit at %s", usedOne.ID, r.UsedBy)
		return r, nil
	}
	// None valid at the exit: the next one to come, else the last that ended.
	for i := range ms {
		if at.Before(ms[i].from) {
			r.fill(&ms[i])
			r.Kind = KindNotYetValid
			r.Reason = fmt.Sprintf("manifest %s is valid from %s", ms[i].ID, ms[i].ValidFrom)
			return r, nil
		}
	}
	last := &ms[len(ms)-1]
	for i := range ms {
		if ms[i].to.After(last.to) {
			last = &ms[i]
		}
	}
	r.fill(last)
	r.Kind = KindExpired
	r.Reason = fmt.Sprintf("manifest %s expired at %s", last.ID, last.ValidTo)
	return r, nil
}

func (r *Result) fill(m *Manifest) {
	r.ID, r.Origin, r.Destination, r.PermitNo, r.ValidTo = m.ID, m.Origin, m.Destination, m.PermitNo, m.ValidTo
}

// nearest finds a manifest whose plate is one character from n (a misread or a mistyped
// manifest), so the reason can name it; nil if none or several.
func (s *Set) nearest(n string) *Manifest {
	var found *Manifest
	rn := []rune(n)
	for p, ms := range s.byPlate {
		rp := []rune(p)
		if len(rp) != len(rn) {
			continue
		}
		diff := 0
		for i := range rp {
			if rp[i] != rn[i] {
				diff++
			}
		}
		if diff == 1 {
			if found != nil {
				return nil
			}
			found = &ms[0]
		}
	}
	return found
}

// Current is the manifests in use, replaced atomically when a newer document is taken, with
// the reason the last load failed, if it did. Its zero value holds none. Safe for concurrent use.
type Current struct {
	s   atomic.Pointer[Set]
	err atomic.Pointer[string]
}

// Load returns the manifests in use, or nil when none were ever loaded.
func (c *Current) Load() *Set { return c.s.Load() }

// Set puts s in use and forgets any earlier failure.
func (c *Current) Set(s *Set) {
	c.s.Store(s)
	c.err.Store(nil)
}

// Fail records why manifests could not be loaded; the ones in use, if any, stay.
func (c *Current) Fail(err error) {
	msg := err.Error()
	c.err.Store(&msg)
}

// Err is the last failure's reason, or "" when the manifests in use are the latest.
func (c *Current) Err() string {
	if e := c.err.Load(); e != nil {
		return *e
	}
	return ""
}
