package vzenith

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"sitegate/drivers/plate"
)

// ErrNoPoll is wrapped by Barrier.Open's error when the camera sent nothing to reply to in
// time, so the command was never handed over (and is withdrawn: a late poll does not open).
var ErrNoPoll = errors.New("the camera did not poll or push in time")

// mailbox holds the open commands waiting for the next reply to one camera. A Vzenith camera
// cannot be called: it takes commands only in the replies to its own requests.
type mailbox struct {
	id, lane string
	host     string // the configured URL's host: the address its requests come from

	mu      sync.Mutex
	serial  string // learnt from the first request matched by address
	waiters []chan error
}

// takeWaiters empties the mailbox; the caller writes "info":"ok" and tells each waiter.
func (m *mailbox) takeWaiters() []chan error {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.waiters
	m.waiters = nil
	return w
}

// withdraw removes c; false when a reply took it already.
func (m *mailbox) withdraw(c chan error) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.Index(m.waiters, c)
	if i < 0 {
		return false
	}
	m.waiters = slices.Delete(m.waiters, i, i+1)
	return true
}

// Control builds a camera's control: a Barrier that opens through the replies to it. Snapshot
// is nil: the HTTP push protocol has no snapshot resource to call (a TriggerImage reply makes
// the camera upload one later, to a URL, which is not a Snapshotter). It registers the camera's
// mailbox, found again by its URL's host (the address its requests come from) or by its serial
// number once learnt; a camera configured without a URL is found only as its lane's only one.
func (d *Decoder) Control(o plate.ControlOptions) (plate.Control, error) {
	c := o.Camera
	host := ""
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || u.Hostname() == "" {
			return plate.Control{}, fmt.Errorf("url %q has no host", c.URL)
		}
		host = u.Hostname()
	}
	m := &mailbox{id: c.ID, lane: c.Lane, host: host}
	d.mu.Lock()
	d.boxes = slices.DeleteFunc(d.boxes, func(b *mailbox) bool { return b.id == c.ID && b.lane == c.Lane })
	d.boxes = append(d.boxes, m)
	d.mu.Unlock()
	return plate.Control{Barrier: &Barrier{d: d, box: m}}, nil
}

// mailbox finds the mailbox of the camera of lane that a request came from, nil when it has
// none. Unlike the crediting of reads, a request from an address no camera is configured
// with is not given the lane's only camera: an open command goes to that camera or to none.
func (d *Decoder) mailbox(lane, host, serial string) *mailbox {
	d.mu.Lock()
	defer d.mu.Unlock()
	var only []*mailbox
	for _, m := range d.boxes {
		if m.lane != lane {
			continue
		}
		only = append(only, m)
		if m.host != "" && m.host == host {
			if serial != "" {
				m.mu.Lock()
				m.serial = serial
				m.mu.Unlock()
			}
			return m
		}
	}
	if serial != "" {
		for _, m := range only {
			m.mu.Lock()
			ok := m.serial == serial
			m.mu.Unlock()
			if ok {
				return m
			}
		}
	}
	if len(only) == 1 && only[0].host == "" { // configured without a URL: the lane's only one
		return only[0]
	}
	return nil
}

// Barrier opens a Vzenith camera's barrier output by queueing "info":"ok" for the next reply to
// the camera (a heartbeat or comet poll, or a push).
type Barrier struct {
	d   *Decoder
	box *mailbox
}

// Open queues the command and returns once a reply carrying it was written to the camera, or
// an error wrapping ErrNoPoll after Options.OpenTimeout (or ctx's end) without one, the
// command then withdrawn, so that the caller can fail closed.
func (b *Barrier) Open(ctx context.Context) error {
	c := make(chan error, 1)
	b.box.mu.Lock()
	b.box.waiters = append(b.box.waiters, c)
	b.box.mu.Unlock()
	t := time.NewTimer(b.d.opts.OpenTimeout)
	defer t.Stop()
	var why error
	select {
	case err := <-c:
		return b.handed(err)
	case <-t.C:
		why = fmt.Errorf("no request within %v", b.d.opts.OpenTimeout)
	case <-ctx.Done():
		why = ctx.Err()
	}
	if !b.box.withdraw(c) {
		return b.handed(<-c) // a reply took it meanwhile: it is being written
	}
	return fmt.Errorf("vzenith camera %s: barrier open: %w (%v)", b.box.id, ErrNoPoll, why)
}

func (b *Barrier) handed(err error) error {
	if err != nil {
		return fmt.Errorf("vzenith camera %s: barrier open: %w", b.box.id, err)
	}
	return nil
}
