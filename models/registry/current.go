package registry

import "sync/atomic"

// Current is the registry in use: replaced atomically when a newer one is taken, with the
// reason the last load failed, if it did. Its zero value holds no registry. Safe for concurrent
// use.
type Current struct {
	r   atomic.Pointer[Registry]
	err atomic.Pointer[string]
}

// Load returns the registry in use, or nil when none could be loaded (the registry check is
// then unknown, never a false alarm for every truck).
func (c *Current) Load() *Registry { return c.r.Load() }

// Set puts r in use and forgets any earlier failure.
func (c *Current) Set(r *Registry) {
	c.r.Store(r)
	c.err.Store(nil)
}

// Fail records why a registry could not be loaded; the one in use, if any, stays.
func (c *Current) Fail(err error) {
	msg := err.Error()
	c.err.Store(&msg)
}

// Err is the last failure's reason, or "" when the registry in use is the latest.
func (c *Current) Err() string {
	if e := c.err.Load(); e != nil {
		return *e
	}
	return ""
}
