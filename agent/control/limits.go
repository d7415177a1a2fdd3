package control

import "fmt"

// Size limits of incoming payloads. Anything larger is refused before it is parsed.
const (
	MaxDesiredBytes  = 1 << 20  // config/desired
	MaxRegistryBytes = 8 << 20  // sitegate/v1/{site}/registry
	MaxCommandBytes  = 64 << 10 // cmd/{name}
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
