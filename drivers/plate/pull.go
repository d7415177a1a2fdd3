package plate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// PullState is where a pull client's event stream stands.
type PullState string

// States reported in PullStatus.State.
const (
	PullConnecting PullState = "connecting" // opening the stream
	PullStreaming  PullState = "streaming"  // the stream is open
	PullDown       PullState = "down"       // the last attempt failed or went silent; waiting to reconnect
)

// PullOptions configures the client of one camera whose event stream we hold (CONTRACT section 7,
// mode: pull).
type PullOptions struct {
	Camera string // the camera's id
	Lane   string // the lane its reads belong to
	// URL is the camera itself, e.g. http://192.168.1.64; the vendor adds its stream's path.
	URL      string
	Username string
	Password string // the secret itself; the caller reads the camera's password_file
	// Client makes the requests; nil means a client without a timeout (a stream is held open),
	// with the vendor's authentication added by the vendor.
	Client *http.Client
	// Sink takes each read, on the client's goroutine; it must not block long.
	Sink   func(Read)
	Logger *slog.Logger
	Now    func() time.Time // clock for reads without a time; default time.Now
}

// PullStatus is a pull client's health, as reported to operators.
type PullStatus struct {
	Camera     string    `json:"camera"`
	Vendor     string    `json:"vendor"`
	State      PullState `json:"state"`
	Reads      uint64    `json:"reads"`      // reads handed to the sink
	Rejected   uint64    `json:"rejected"`   // events that were malformed and became no read
	Reconnects uint64    `json:"reconnects"` // streams opened after the first
	// LastError is the most recent failure; it is kept after the stream recovers.
	LastError string `json:"last_error,omitempty"`
}

// PullClient holds one camera's event stream.
type PullClient interface {
	// Run opens the stream and hands each read to PullOptions.Sink until ctx is done; when the
	// stream fails, ends or goes silent it reconnects by itself, with backoff. It returns nil
	// once ctx is done, and leaves no goroutine behind.
	Run(ctx context.Context) error
	// Status reports the client's state and counters; safe to call from any goroutine.
	Status() PullStatus
}

// PullFactory builds a vendor's pull client. It checks the options and must not connect:
// that is Run's job.
type PullFactory func(opts PullOptions) (PullClient, error)

var (
	pullMu  sync.RWMutex
	pullers = map[string]PullFactory{}
)

// RegisterPull adds a vendor's pull client; vendors call it from init. It panics on a duplicate
// or malformed name, which is a programming error.
func RegisterPull(vendor string, f PullFactory) {
	checkName(vendor)
	pullMu.Lock()
	defer pullMu.Unlock()
	if _, dup := pullers[vendor]; dup {
		panic("plate: pull client registered twice: " + vendor)
	}
	pullers[vendor] = f
}

// LookupPull returns the pull client factory of a vendor.
func LookupPull(vendor string) (PullFactory, bool) {
	pullMu.RLock()
	defer pullMu.RUnlock()
	f, ok := pullers[vendor]
	return f, ok
}

// PullVendors lists the vendors with a pull client, sorted.
func PullVendors() []string {
	pullMu.RLock()
	defer pullMu.RUnlock()
	return slices.Sorted(maps.Keys(pullers))
}

// NewPull builds vendor's pull client for opts, with the defaults applied (Logger, Now).
func NewPull(vendor string, opts PullOptions) (PullClient, error) {
	f, ok := LookupPull(vendor)
	if !ok {
		return nil, fmt.Errorf("plate camera %s: vendor %q has no pull mode (pull: %s)", opts.Camera, vendor, list(PullVendors()))
	}
	if opts.Sink == nil {
		return nil, fmt.Errorf("plate camera %s: no sink for its reads", opts.Camera)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := f(opts)
	if err != nil {
		return nil, fmt.Errorf("plate camera %s (%s): %w", opts.Camera, vendor, err)
	}
	return c, nil
}

// PullTracker is the status of one pull client, safe for concurrent use, and the reconnect
// loop every vendor's client runs its stream in. A vendor embeds it and updates it with Set.
type PullTracker struct {
	mu sync.Mutex
	st PullStatus
}

// NewPullTracker starts the status of camera's client of vendor.
func NewPullTracker(camera, vendor string) *PullTracker {
	return &PullTracker{st: PullStatus{Camera: camera, Vendor: vendor, State: PullConnecting}}
}

// Status reports the client's state and counters.
func (t *PullTracker) Status() PullStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// Set changes the status under its lock.
func (t *PullTracker) Set(f func(*PullStatus)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.st)
}

// Backoff is how a pull client waits between streams: from Min, doubled after each failure in a
// row up to Max, with jitter in [d/2, d) so that cameras and gateways restarted together spread
// out; Auth after the camera refused the credentials (a wrong password is not fixed by
// retrying fast, and cameras lock accounts that try too often).
type Backoff struct {
	Min, Max, Auth time.Duration
	// IsAuth reports whether a stream's error is the camera refusing the credentials.
	IsAuth func(error) bool
}

// wait is the pause after n failures in a row.
func (b Backoff) wait(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + rand.N(d/2+1)
}

// Run holds streams until ctx is done: hold opens one and reads it until it fails, ends or goes
// silent, reporting whether anything came through (which resets the backoff). Run keeps the
// status (state, reconnects, last error) and logs each failure; it returns nil once ctx is done.
func (t *PullTracker) Run(ctx context.Context, b Backoff, log *slog.Logger, hold func(context.Context) (delivered bool, err error)) error {
	failures := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t.Set(func(s *PullStatus) { s.Reconnects++; s.State = PullConnecting })
		}
		delivered, err := hold(ctx)
		if ctx.Err() != nil {
			t.Set(func(s *PullStatus) { s.State = PullDown })
			return nil
		}
		if delivered {
			failures = 0
		}
		wait := b.wait(failures)
		failures++
		if err == nil {
			err = errors.New("stream ended")
		}
		if b.IsAuth != nil && b.IsAuth(err) {
			wait = b.Auth
		}
		t.Set(func(s *PullStatus) { s.State, s.LastError = PullDown, err.Error() })
		log.Warn("plate camera stream down", "err", err, "retry_in", wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			t.Set(func(s *PullStatus) { s.State = PullDown })
			return nil
		case <-timer.C:
		}
	}
}
