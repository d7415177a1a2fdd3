// Package registry holds the approved vehicles of a site (CONTRACT section 5) and judges a
// passage's plate against them.
//
// It parses outside bytes (a local file now, an MQTT message later), so it is strict and fuzzed.
// It imports sitegate/drivers/plate for plate normalisation and never sitegate/agent.
package registry

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"sitegate/drivers/plate"
	"sitegate/models"
)

// MaxBytes bounds a registry document.
const MaxBytes = 16 << 20

// Permit is a vehicle's disposal permit.
type Permit struct {
	ValidFrom string `json:"valid_from,omitempty" yaml:"valid_from"` // YYYY-MM-DD
	ValidTo   string `json:"valid_to,omitempty" yaml:"valid_to"`     // YYYY-MM-DD
	Hours     string `json:"hours,omitempty" yaml:"hours"`           // HH:MM-HH:MM
}

// Vehicle is one approved vehicle.
type Vehicle struct {
	Plate       string  `json:"plate" yaml:"plate"`
	Axles       int     `json:"axles,omitempty" yaml:"axles"`
	MaxGrossKg  float64 `json:"max_gross_kg,omitempty" yaml:"max_gross_kg"`
	RatedLoadKg float64 `json:"rated_load_kg,omitempty" yaml:"rated_load_kg"`
	Permit      *Permit `json:"permit,omitempty" yaml:"permit"`
}

// Document is the registry as written in a file or message.
type Document struct {
	Version  int64     `json:"version" yaml:"version"`
	Vehicles []Vehicle `json:"vehicles" yaml:"vehicles"`
}

// Registry is a validated document indexed by normalised plate. It is immutable once built,
// so it can be swapped atomically and read from any goroutine.
type Registry struct {
	Version int64
	byPlate map[string]Vehicle
}

// Empty is a registry with no vehicles (version 0).
func Empty() *Registry { return &Registry{byPlate: map[string]Vehicle{}} }

// Len is the number of vehicles.
func (r *Registry) Len() int { return len(r.byPlate) }

// Lookup finds a vehicle by plate (any spelling NormalizePlate accepts).
func (r *Registry) Lookup(p string) (Vehicle, bool) {
	if r == nil {
		return Vehicle{}, false
	}
	n, err := plate.NormalizePlate(p)
	if err != nil {
		return Vehicle{}, false
	}
	v, ok := r.byPlate[n]
	return v, ok
}

// Result is the registry check of a passage.
type Result struct {
	Verdict models.Verdict `json:"verdict"`
	Reason  string         `json:"reason,omitempty"`
}

// Check judges a passage's plate: a plate not in the registry is an alarm; no plate, or no
// registry loaded (a nil *Registry), cannot be judged.
func (r *Registry) Check(p string, havePlate bool) (Result, Vehicle, bool) {
	if r == nil {
		return Result{Verdict: models.Unknown, Reason: "registry not loaded"}, Vehicle{}, false
	}
	if !havePlate {
		return Result{Verdict: models.Unknown, Reason: "no plate read"}, Vehicle{}, false
	}
	v, ok := r.Lookup(p)
	if !ok {
		return Result{Verdict: models.Alarm, Reason: "plate not in registry"}, Vehicle{}, false
	}
	return Result{Verdict: models.OK}, v, true
}

// Load reads a registry file, JSON or YAML.
func Load(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", path, err)
	}
	r, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", path, err)
	}
	return r, nil
}

var (
	dateRe  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
	hoursRe = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
)

// Parse validates a registry document (JSON or YAML). Unknown keys are errors; every problem
// is listed, one per line, with its path.
func Parse(data []byte) (*Registry, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("document is larger than %d bytes", MaxBytes)
	}
	var doc Document
	if err := models.DecodeStrict(data, "registry", &doc); err != nil {
		return nil, err
	}
	var problems []string
	bad := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	if doc.Version < 0 {
		bad("version", "%d must not be negative", doc.Version)
	}
	r := &Registry{Version: doc.Version, byPlate: make(map[string]Vehicle, len(doc.Vehicles))}
	for i, v := range doc.Vehicles {
		p := fmt.Sprintf("vehicles[%d]", i)
		n, err := plate.NormalizePlate(v.Plate)
		if err != nil {
			bad(p+".plate", "%v", err)
			continue
		}
		if _, dup := r.byPlate[n]; dup {
			bad(p+".plate", "%s is listed twice", n)
			continue
		}
		if v.Axles != 0 && (v.Axles < 2 || v.Axles > 20) {
			bad(p+".axles", "%d is not 2 to 20", v.Axles)
		}
		if v.MaxGrossKg < 0 || v.MaxGrossKg > 200000 {
			bad(p+".max_gross_kg", "%g is not a plausible mass", v.MaxGrossKg)
		}
		if v.RatedLoadKg < 0 || v.RatedLoadKg > 200000 {
			bad(p+".rated_load_kg", "%g is not a plausible mass", v.RatedLoadKg)
		}
		if pm := v.Permit; pm != nil {
			if pm.ValidFrom != "" && !dateRe.MatchString(pm.ValidFrom) {
				bad(p+".permit.valid_from", "%q is not YYYY-MM-DD", pm.ValidFrom)
			}
			if pm.ValidTo != "" && !dateRe.MatchString(pm.ValidTo) {
				bad(p+".permit.valid_to", "%q is not YYYY-MM-DD", pm.ValidTo)
			}
			if pm.ValidFrom != "" && pm.ValidTo != "" && pm.ValidTo < pm.ValidFrom {
				bad(p+".permit.valid_to", "%s is before valid_from %s", pm.ValidTo, pm.ValidFrom)
			}
			if pm.Hours != "" && !hoursRe.MatchString(pm.Hours) {
				bad(p+".permit.hours", "%q is not HH:MM-HH:MM", pm.Hours)
			}
		}
		v.Plate = n
		r.byPlate[n] = v
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return r, nil
}

// CheckPermit judges a registered vehicle's permit at the passage's time at, read in at's own
// location (the site's local time): outside valid_from..valid_to (both days included) or
// outside hours (HH:MM-HH:MM, end excluded; an end before the start spans midnight) is an
// alarm, with the reason. A vehicle with no permit on record has nothing to break.
func CheckPermit(v Vehicle, at time.Time) Result {
	pm := v.Permit
	if pm == nil {
		return Result{Verdict: models.OK, Reason: "no permit restrictions on record"}
	}
	day := at.Format("2006-01-02")
	if pm.ValidFrom != "" && day < pm.ValidFrom {
		return Result{Verdict: models.Alarm, Reason: "permit not valid until " + pm.ValidFrom}
	}
	if pm.ValidTo != "" && day > pm.ValidTo {
		return Result{Verdict: models.Alarm, Reason: "permit expired on " + pm.ValidTo}
	}
	if pm.Hours != "" {
		if len(pm.Hours) != 11 {
			return Result{Verdict: models.Unknown, Reason: "permit hours unreadable"}
		}
		from, to := minutes(pm.Hours[:5]), minutes(pm.Hours[6:])
		now := at.Hour()*60 + at.Minute()
		inside := from <= now && now < to
		if to <= from { // spans midnight
			inside = now >= from || now < to
		}
		if !inside {
			return Result{Verdict: models.Alarm, Reason: "outside permit hours " + pm.Hours}
		}
	}
	return Result{Verdict: models.OK}
}

func minutes(hhmm string) int {
	return int(hhmm[0]-'0')*600 + int(hhmm[1]-'0')*60 + int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
}
