// Package parts runs a gateway's lanes and plate listeners as units that start and stop on
// their own, so that applying a new config restarts only the lanes whose config changed. While
// a lane restarts, the plates pushed for it wait here and go to the new lane: a push answered
// 200 is not lost to an apply.
//
// It knows units only through the Unit and Listener interfaces; what a unit is made of (a lane,
// its cameras, their checks) is the Builder's business (agent/gateway). It imports
// firmware-config and drivers/plate only.
package parts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
)

// Unit is one lane with its devices, built for one lane config.
type Unit interface {
	// Start starts the lane and its devices; it does not block.
	Start()
	// StopLane stops the lane and waits: what is in progress becomes passages.
	StopLane()
	// StopDevices stops the lane's cameras and their checks and waits; called after StopLane.
	StopDevices()
	// Plate hands the lane a plate read, or says why it cannot take it now.
	Plate(r plate.Read) error
	// Up reports whether the lane's devices came up, or why not.
	Up() (bool, string)
}

// Listener is one plate-push listener serving some lanes.
type Listener interface {
	Start()
	Stop() // stops and waits
}

// Builder makes units and listeners; nothing it makes runs before Start.
type Builder[U Unit, L Listener] interface {
	Unit(lc config.Lane) U
	// Listener builds the listener on addr for lanes; it hands each read to sink with its lane.
	Listener(addr string, lanes []string, maxBody int64, sink func(lane string, r plate.Read) error) L
}

// MaxPending bounds the plates kept for a lane that is being restarted.
const MaxPending = 256

type unit[U Unit] struct {
	cfg config.Lane
	u   U
}

type listener[L Listener] struct {
	lanes   []string
	maxBody int64
	l       L
}

// Parts are the running units and listeners.
type Parts[U Unit, L Listener] struct {
	b   Builder[U, L]
	log *slog.Logger

	mu        sync.RWMutex
	units     map[string]*unit[U] // by lane id
	order     []string            // lane ids in config order
	listeners map[string]*listener[L]
	pending   map[string][]plate.Read // plates for lanes being restarted
	dropped   uint64
}

// New returns parts that build with b; Start starts them.
func New[U Unit, L Listener](b Builder[U, L], log *slog.Logger) *Parts[U, L] {
	if log == nil {
		log = slog.Default()
	}
	return &Parts[U, L]{b: b, log: log, units: map[string]*unit[U]{}, listeners: map[string]*listener[L]{}, pending: map[string][]plate.Read{}}
}

// Start builds and starts every lane of cfg, then its plate listeners.
func (p *Parts[U, L]) Start(cfg *config.Config) {
	p.mu.Lock()
	for _, lc := range cfg.Lanes {
		p.units[lc.ID] = p.start(lc)
		p.order = append(p.order, lc.ID)
	}
	p.mu.Unlock()
	ids, maxBody, order := listenSpecs(cfg.Lanes)
	p.mu.Lock()
	for _, addr := range order {
		p.listeners[addr] = p.listen(addr, ids[addr], maxBody[addr])
	}
	p.mu.Unlock()
}

func (p *Parts[U, L]) start(lc config.Lane) *unit[U] {
	u := &unit[U]{cfg: lc, u: p.b.Unit(lc)}
	u.u.Start()
	return u
}

func (p *Parts[U, L]) listen(addr string, lanes []string, maxBody int64) *listener[L] {
	l := &listener[L]{lanes: lanes, maxBody: maxBody, l: p.b.Listener(addr, lanes, maxBody, p.PlateTo)}
	l.l.Start()
	return l
}

// Stop stops every lane first, then every lane's devices and every listener.
func (p *Parts[U, L]) Stop() {
	p.mu.Lock()
	units := slices.Collect(maps.Values(p.units))
	lns := slices.Collect(maps.Values(p.listeners))
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, u := range units {
		wg.Go(u.u.StopLane)
	}
	wg.Wait()
	for _, u := range units {
		wg.Go(u.u.StopDevices)
	}
	for _, l := range lns {
		wg.Go(l.l.Stop)
	}
	wg.Wait()
}

// ErrRestarting is returned by PlateTo when a lane being restarted has MaxPending plates
// waiting already.
var ErrRestarting = errors.New("lane restarting and its plate queue is full")

// PlateTo hands a plate to lane id; while that lane is being restarted, the plate waits (up to
// MaxPending a lane) and is handed to the new lane.
func (p *Parts[U, L]) PlateTo(id string, r plate.Read) error {
	p.mu.Lock()
	u := p.units[id]
	if u == nil {
		defer p.mu.Unlock()
		if len(p.pending[id]) < MaxPending {
			p.pending[id] = append(p.pending[id], r)
			return nil
		}
		p.dropped++
		p.log.Warn("lane restarting and its plate queue is full, plate refused", "lane", id, "plate", r.Plate)
		return ErrRestarting
	}
	p.mu.Unlock()
	return u.u.Plate(r)
}

// Units are the running units in config order.
func (p *Parts[U, L]) Units() []U {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]U, 0, len(p.order))
	for _, id := range p.order {
		if u := p.units[id]; u != nil {
			out = append(out, u.u)
		}
	}
	return out
}

// Unit returns the running unit of lane id.
func (p *Parts[U, L]) Unit(id string) (U, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if u := p.units[id]; u != nil {
		return u.u, true
	}
	var zero U
	return zero, false
}

// Listeners are the running listeners, by address order.
func (p *Parts[U, L]) Listeners() []L {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]L, 0, len(p.listeners))
	for _, addr := range slices.Sorted(maps.Keys(p.listeners)) {
		out = append(out, p.listeners[addr].l)
	}
	return out
}

// PlatesDropped counts plates refused because a restarting lane's queue was full.
func (p *Parts[U, L]) PlatesDropped() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.dropped
}

// Swap moves the running lanes to next's: lanes whose config is unchanged keep running, the
// others are stopped and started with next's config, and listeners whose lanes or limits
// changed are restarted. It returns the units that were started.
func (p *Parts[U, L]) Swap(next *config.Config) []U {
	p.mu.Lock()
	want := map[string]config.Lane{}
	for _, lc := range next.Lanes {
		want[lc.ID] = lc
	}
	// Stop changed and removed lanes, lanes before their devices, all at once.
	var stopping []*unit[U]
	for id, u := range p.units {
		if lc, ok := want[id]; !ok || !reflect.DeepEqual(lc, u.cfg) {
			stopping = append(stopping, u)
			delete(p.units, id)
		}
	}
	ids, maxBody, _ := listenSpecs(next.Lanes)
	var stopLns []*listener[L]
	for addr, l := range p.listeners {
		if !slices.Equal(ids[addr], l.lanes) || maxBody[addr] != l.maxBody {
			stopLns = append(stopLns, l)
			delete(p.listeners, addr)
		}
	}
	// Stop without the lock: a plate request in flight may be looking up its lane.
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, u := range stopping {
		wg.Go(func() { u.u.StopLane(); u.u.StopDevices() })
	}
	for _, l := range stopLns {
		wg.Go(l.l.Stop)
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	var started []U
	p.order = p.order[:0]
	for _, lc := range next.Lanes {
		if _, ok := p.units[lc.ID]; !ok {
			u := p.start(lc)
			p.units[lc.ID] = u
			started = append(started, u.u)
		}
		p.order = append(p.order, lc.ID)
	}
	for id, reads := range p.pending {
		if u := p.units[id]; u != nil {
			for _, r := range reads {
				if err := u.u.Plate(r); err != nil {
					p.log.Warn("plate kept during a restart not taken", "lane", id, "plate", r.Plate, "err", err)
				}
			}
		} else {
			p.log.Warn("plates for a lane that is gone dropped", "lane", id, "plates", len(reads))
		}
		delete(p.pending, id)
	}
	for addr, lanes := range ids {
		if _, ok := p.listeners[addr]; !ok {
			p.listeners[addr] = p.listen(addr, lanes, maxBody[addr])
		}
	}
	return started
}

// listenSpecs groups lanes by plate listen address: the lanes of each, in order, and the
// largest body limit.
func listenSpecs(lanes []config.Lane) (map[string][]string, map[string]int64, []string) {
	ids, maxBody := map[string][]string{}, map[string]int64{}
	var order []string
	for _, lc := range lanes {
		if lc.Plate.Listen == "" {
			continue
		}
		if _, ok := ids[lc.Plate.Listen]; !ok {
			order = append(order, lc.Plate.Listen)
		}
		ids[lc.Plate.Listen] = append(ids[lc.Plate.Listen], lc.ID)
		maxBody[lc.Plate.Listen] = max(maxBody[lc.Plate.Listen], int64(lc.Plate.MaxBody))
	}
	return ids, maxBody, order
}

// WaitUp waits until every unit's devices are up, or timeout; it returns the reason of the
// first that is not.
func WaitUp[U Unit](ctx context.Context, units []U, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var why string
		for _, u := range units {
			if ok, reason := u.Up(); !ok {
				why = reason
				break
			}
		}
		if why == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("not up within %s: %s", timeout, why)
		case <-tick.C:
		}
	}
}
