package control

import (
	"fmt"
	"unicode/utf8"
)

// Size limits of incoming payloads. Anything larger is refused before it is parsed.
const (
	MaxDesiredBytes   = 1 << 20  // config/desired
	MaxRegistryBytes  = 8 << 20  // sitegate/v1/{site}/registry
	MaxManifestsBytes = 8 << 20  // sitegate/v1/{site}/manifests
	MaxCommandBytes   = 64 << 10 // cmd/{name}
)

// ErrTooLarge is returned (wrapped) for a payload over its limit.
var ErrTooLarge = fmt.Errorf("payload too large")

// CheckSize refuses a payload over limit.
func CheckSize(what string, payload []byte, limit int) error {
	if len(payload) > limit {
		return fmt.Errorf("%s: %w (%d bytes, limit %d)", what, ErrTooLarge, len(payload), limit)
	}
	return nil
}

// MaxVersion is the highest desired config version: 2^53-1, the largest integer every JSON
// consumer (a JavaScript dashboard among them) keeps exact.
const MaxVersion = 1<<53 - 1

// MaxReportError bounds the error text of a report the gateway publishes (registry/reported),
// so that a document with thousands of problems still fits the broker's message limit.
const MaxReportError = 16 << 10

// Cut returns s if it is at most limit bytes, else its first limit bytes (at a UTF-8 boundary)
// followed by how much was cut.
func Cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s ... (%d more bytes cut)", s[:n], len(s)-n)
}
