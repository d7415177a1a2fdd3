package status

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sitegate/agent/systemd"
	"sitegate/drivers/serialport"
)

// LiveWithin is how recently every lane loop and the uplink loop must have made progress for the
// gateway to ping the service watchdog. A lane's loop turns at least every 250 ms; the uplink's
// every second, or once per connect or subscribe (each bounded by its connect timeout, 10 s by
// default), so a loop quiet for this long is stuck, not slow.
const LiveWithin = 30 * time.Second

// Loops lists the loops whose progress the watchdog checks.
func (r *Reporter) Loops() []systemd.Loop {
	if r.s.Loops == nil {
		return nil
	}
	return r.s.Loops()
}

// Healthy reports the first loop that has not made progress within LiveWithin.
func (r *Reporter) Healthy() error { return systemd.Stale(time.Now(), LiveWithin, r.Loops()) }

// ScaleDownWithin is how long a lane's scale may be down (unplugged, hung up, failing to open)
// before /healthz fails. Long enough for a reopen or a cable swap, short enough that a lane
// weighing nothing is noticed.
const ScaleDownWithin = time.Minute

// ScalesUp reports the first lane whose scale has been down longer than Sources.ScaleDownFor at
// now. It is part of /healthz, not of the service watchdog's Healthy: a restart does not bring
// a scale back.
func (r *Reporter) ScalesUp(now time.Time) error {
	if r.s.Lanes == nil {
		return nil
	}
	bound := r.s.ScaleDownFor
	if bound <= 0 {
		bound = ScaleDownWithin
	}
	for _, l := range r.s.Lanes() {
		sc := l.Scale
		if sc.State == serialport.StateOpen || sc.DownSince.IsZero() {
			continue
		}
		if d := now.Sub(sc.DownSince); d > bound {
			return fmt.Errorf("lane %s: scale %s for %s: %s", l.ID, sc.State, d.Round(time.Second), sc.LastError)
		}
	}
	return nil
}

// Notify tells n (nil: nobody) the gateway is ready, with a one-line description, and pings
// its watchdog while Healthy; the returned function tells n the gateway is stopping and stops
// the pings.
func (r *Reporter) Notify(n *systemd.Notifier, lanes int) (stopping func()) {
	if n == nil {
		return func() {}
	}
	status := fmt.Sprintf("running: site %s, gateway %s, %d lane(s)", r.s.Site, r.s.Gateway, lanes)
	if err := n.Ready(status); err != nil {
		r.log.Warn("service manager not told of readiness", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { n.RunWatchdog(ctx, r.Healthy, r.log) })
	return func() {
		cancel()
		wg.Wait()
		if err := n.Stopping(); err != nil {
			r.log.Warn("service manager not told of stopping", "err", err)
		}
	}
}
