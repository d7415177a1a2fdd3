package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sitegate/agent/systemd"
)

// LiveWithin is how recently every lane loop and the uplink loop must have made progress for the
// gateway to ping the service watchdog. A lane's loop turns at least every 250 ms; the uplink's
// every second, or once per connect or subscribe (each bounded by its connect timeout, 10 s by
// default), so a loop quiet for this long is stuck, not slow.
const LiveWithin = 30 * time.Second

// loops lists the loops whose progress the watchdog checks: each lane and the uplink.
func (g *Gateway) loops() []systemd.Loop {
	var ls []systemd.Loop
	g.partsMu.RLock()
	lanes := g.lanes
	g.partsMu.RUnlock()
	for _, l := range lanes {
		ls = append(ls, systemd.Loop{Name: "lane " + l.ID(), Beat: l.Heartbeat})
	}
	if g.up != nil {
		ls = append(ls, systemd.Loop{Name: "uplink", Beat: g.up.Heartbeat})
	}
	return ls
}

// healthy reports the first loop that has not made progress within LiveWithin.
func (g *Gateway) healthy() error { return systemd.Stale(time.Now(), LiveWithin, g.loops()) }

// notifier is the service manager to tell about readiness and liveness: Options.Notifier, or the
// one the environment names, or nil.
func (g *Gateway) notifier() *systemd.Notifier {
	if g.o.Notifier != nil {
		return g.o.Notifier
	}
	n, err := systemd.FromEnv()
	if err != nil {
		g.log.Warn("service watchdog not armed", "err", err)
	}
	return n
}

// startNotify tells the service manager the gateway is ready and starts the watchdog pings; the
// returned function tells it the gateway is stopping and stops the pings.
func (g *Gateway) startNotify() (stopping func()) {
	n := g.notifier()
	if n == nil {
		return func() {}
	}
	status := fmt.Sprintf("running: site %s, gateway %s, %d lane(s)", g.cfg.Site, g.cfg.Gateway, len(g.lanes))
	if err := n.Ready(status); err != nil {
		g.log.Warn("service manager not told of readiness", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { n.RunWatchdog(ctx, g.healthy, g.log) })
	return func() {
		cancel()
		wg.Wait()
		if err := n.Stopping(); err != nil {
			g.log.Warn("service manager not told of stopping", "err", err)
		}
	}
}
