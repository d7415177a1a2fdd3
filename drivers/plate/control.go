package plate

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
)

// Barrier opens a lane's exit barrier through the camera that drives it (CONTRACT 8). Open
// returns once the camera has taken the command, or why it could not (unreachable, refused).
// A barrier closes by itself behind the truck; sitegate never holds it open.
type Barrier interface {
	Open(ctx context.Context) error
}

// Snapshotter takes a picture from a camera over HTTP (the vendor's snapshot resource).
type Snapshotter interface {
	Snapshot(ctx context.Context) ([]byte, error)
}

// Control is what sitegate can ask of one plate camera beyond its reads. A field is nil when
// the vendor (or its mode) cannot do it.
type Control struct {
	Barrier  Barrier
	Snapshot Snapshotter
}

// ControlOptions are given to a vendor's control factory.
type ControlOptions struct {
	Camera Camera
	// Client makes the requests, with the vendor's authentication added by the vendor; nil
	// means a client with a short timeout.
	Client *http.Client
	Logger *slog.Logger
}

// ControlFactory builds the control of one camera. It must not connect: a camera that is
// down is found out when it is used.
type ControlFactory func(o ControlOptions) (Control, error)

var (
	controlMu sync.RWMutex
	controls  = map[string]ControlFactory{}
)

// RegisterControl adds a vendor's camera control; vendors call it from init. It panics on a
// duplicate, which is a programming error.
func RegisterControl(vendor string, f ControlFactory) {
	checkName(vendor)
	controlMu.Lock()
	defer controlMu.Unlock()
	if _, dup := controls[vendor]; dup {
		panic("plate: camera control registered twice: " + vendor)
	}
	controls[vendor] = f
}

// NewControl builds the control of camera c; a vendor without one gives the zero Control.
func NewControl(o ControlOptions) (Control, error) {
	controlMu.RLock()
	f, ok := controls[o.Camera.Vendor]
	controlMu.RUnlock()
	if !ok {
		return Control{}, nil
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c, err := f(o)
	if err != nil {
		return Control{}, fmt.Errorf("plate camera %s (%s): %w", o.Camera.ID, o.Camera.Vendor, err)
	}
	return c, nil
}

// ControlVendors lists the vendors with a camera control, sorted.
func ControlVendors() []string {
	controlMu.RLock()
	defer controlMu.RUnlock()
	return slices.Sorted(maps.Keys(controls))
}
