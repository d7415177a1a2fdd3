// Package overload judges a truck's gross weight against its legal limit: the GB 1589-2016
// limit for its axle count, or its registered total mass where that is lower.
//
// It is pure and imports only sitegate/models.
package overload

import (
	"math"

	"sitegate/models"
)

// Basis names where a limit came from.
const (
	BasisRegistry  = "registry"   // the vehicle's registered max_gross_kg, lower than the table
	BasisAxleTable = "axle-table" // GB 1589-2016 for its axle count
	BasisLegalMax  = "legal-max"  // an unregistered truck: the highest limit any truck has
)

// LegalMaxKg is the highest GB 1589-2016 gross limit (six axles or more).
const LegalMaxKg = 49000

// AxleLimitKg is the GB 1589-2016 gross limit for a truck with this many axles.
func AxleLimitKg(axles int) (float64, bool) {
	switch {
	case axles < 2:
		return 0, false
	case axles == 2:
		return 18000, true
	case axles == 3:
		return 25000, true
	case axles == 4:
		return 31000, true
	case axles == 5:
		return 43000, true
	}
	return LegalMaxKg, true
}

// Vehicle is what the registry knows of the truck.
type Vehicle struct {
	Registered bool
	Axles      int     // 0 when unknown
	MaxGrossKg float64 // registered total mass, 0 when unknown
}

// Result is the overload check of a passage.
type Result struct {
	Verdict     models.Verdict `json:"verdict"`
	LimitKg     float64        `json:"limit_kg,omitempty"`
	OverKg      *float64       `json:"over_kg,omitempty"`
	OverPct     *float64       `json:"over_pct,omitempty"`
	Basis       string         `json:"basis,omitempty"`
	ToleranceKg float64        `json:"tolerance_kg,omitempty"`
	Reason      string         `json:"reason,omitempty"`
}

// Limit returns a registered vehicle's limit and its basis: the lower of its registered total
// mass and the table for its axle count. ok is false when neither is known.
func Limit(v Vehicle) (limit float64, basis string, ok bool) {
	table, haveTable := AxleLimitKg(v.Axles)
	switch {
	case haveTable && v.MaxGrossKg > 0 && v.MaxGrossKg < table:
		return v.MaxGrossKg, BasisRegistry, true
	case haveTable:
		return table, BasisAxleTable, true
	case v.MaxGrossKg > 0:
		return v.MaxGrossKg, BasisRegistry, true
	}
	return 0, "", false
}

// Check judges a gross weight. stable is false when no stable weight was taken, which can never
// be judged ok. An unregistered truck can only be judged against the legal maximum: above it, it
// is overloaded whatever it is; below it, the verdict is unknown.
func Check(grossKg float64, stable bool, v Vehicle, toleranceKg float64) Result {
	if !stable {
		return Result{Verdict: models.Unknown, Reason: "no stable weight"}
	}
	limit, basis, ok := Limit(v)
	if !v.Registered || !ok {
		if grossKg > LegalMaxKg+toleranceKg {
			return judged(grossKg, LegalMaxKg, BasisLegalMax, toleranceKg)
		}
		reason := "vehicle not registered: its limit is unknown"
		if v.Registered {
			reason = "registry entry has neither axles nor max_gross_kg"
		}
		return Result{Verdict: models.Unknown, Reason: reason}
	}
	return judged(grossKg, limit, basis, toleranceKg)
}

func judged(gross, limit float64, basis string, tol float64) Result {
	over := math.Max(0, gross-limit)
	pct := math.Round(over/limit*1000) / 10
	r := Result{Verdict: models.OK, LimitKg: limit, OverKg: &over, OverPct: &pct, Basis: basis, ToleranceKg: tol}
	if gross > limit+tol {
		r.Verdict = models.Alarm
	}
	return r
}
