package gateway

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"sitegate/agent/lane"
	"sitegate/agent/mudwatch"
	"sitegate/drivers/camera"
	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
)

// laneUnit is one running lane with its own cameras, started and stopped on its own so that a
// config apply restarts only the lanes that changed.
type laneUnit struct {
	cfg      config.Lane
	lane     *lane.Lane
	cams     []*camera.Camera
	mud      []*mudwatch.Watcher
	stopLane context.CancelFunc
	stopCams context.CancelFunc
	laneDone sync.WaitGroup
	camsDone sync.WaitGroup
}

// plateUnit is one plate-push listener, shared by the lanes that name its address.
type plateUnit struct {
	pl      *plateListener
	lanes   []string
	maxBody int64
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// parts are the running lanes and listeners, guarded by Gateway.partsMu.
type parts struct {
	units  map[string]*laneUnit // by lane id
	order  []string             // lane ids in config order
	plates map[string]*plateUnit
}

// startLane builds and starts one lane and its cameras.
func (g *Gateway) startLane(lc config.Lane) *laneUnit {
	u := &laneUnit{cfg: lc}
	var cams []lane.Camera
	for _, cc := range lc.Cameras {
		cam := camera.New(camera.Options{ID: cc.ID, URL: cc.URL, Logger: g.log})
		u.cams = append(u.cams, cam)
		lcam := lane.Camera{ID: cc.ID, Snapshot: func() ([]byte, time.Time, error) { return cam.Snapshot(85) }}
		if w := g.newMudWatcher(cc, cam); w != nil {
			lcam.Mud = w
			u.mud = append(u.mud, w)
		}
		cams = append(cams, lcam)
	}
	u.lane = g.newLane(lc, cams)
	camCtx, stopCams := context.WithCancel(context.Background())
	laneCtx, stopLane := context.WithCancel(context.Background())
	u.stopCams, u.stopLane = stopCams, stopLane
	for _, cam := range u.cams {
		u.camsDone.Go(func() { cam.Run(camCtx) })
	}
	for _, w := range u.mud {
		u.camsDone.Go(func() { w.Run(camCtx) })
	}
	u.laneDone.Go(func() {
		if err := u.lane.Run(laneCtx); err != nil {
			g.log.Error("lane stopped", "lane", u.lane.ID(), "err", err)
		}
	})
	return u
}

// stop ends the lane first (what is in progress becomes passages), then its cameras.
func (u *laneUnit) stop() {
	u.stopLane()
	u.laneDone.Wait()
	u.stopCams()
	u.camsDone.Wait()
}

// up reports whether the lane's devices came up: the scale's port is open.
func (u *laneUnit) up() (bool, string) {
	s := u.lane.Status().Scale
	if s.State == "open" {
		return true, ""
	}
	return false, fmt.Sprintf("scale %s (%s) is %s: %s", u.cfg.ID, u.cfg.Scale.Port, s.State, s.LastError)
}

func (g *Gateway) startPlate(addr string, lanes []string, maxBody int64) *plateUnit {
	handlers := map[string]func(plate.Read){}
	for _, id := range lanes {
		handlers[id] = func(r plate.Read) { g.plateTo(id, r) }
	}
	pu := &plateUnit{lanes: lanes, maxBody: maxBody, pl: &plateListener{addr: addr,
		srv: plate.NewServer(plate.Options{Addr: addr, MaxBody: maxBody, Lanes: handlers, Logger: g.log})}}
	ctx, stop := context.WithCancel(context.Background())
	pu.stop = stop
	pu.done.Go(func() { g.servePlates(ctx, pu.pl) })
	return pu
}

func (pu *plateUnit) halt() {
	pu.stop()
	pu.done.Wait()
}

// plateSpecs groups lanes by plate listen address: the lanes of each, in order, and the largest
// body limit.
func plateSpecs(lanes []config.Lane) (map[string][]string, map[string]int64, []string) {
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

func (g *Gateway) laneByID(id string) *lane.Lane {
	g.partsMu.RLock()
	defer g.partsMu.RUnlock()
	if u := g.parts.units[id]; u != nil {
		return u.lane
	}
	return nil
}

// maxPendingPlates bounds the plates kept for a lane that is being restarted.
const maxPendingPlates = 256

// plateTo hands a plate to lane id; while that lane is being restarted by an apply, the plate
// waits and is handed to the new lane, so a push answered 200 is never lost.
func (g *Gateway) plateTo(id string, r plate.Read) {
	g.partsMu.Lock()
	u := g.parts.units[id]
	if u == nil {
		if g.pending == nil {
			g.pending = map[string][]plate.Read{}
		}
		if len(g.pending[id]) < maxPendingPlates {
			g.pending[id] = append(g.pending[id], r)
		} else {
			g.log.Warn("lane restarting and its plate queue is full, plate dropped", "lane", id, "plate", r.Plate)
		}
	}
	g.partsMu.Unlock()
	if u != nil {
		u.lane.Plate(r)
	}
}

// startParts starts every lane and listener of cfg.
func (g *Gateway) startParts(cfg *config.Config) {
	g.partsMu.Lock()
	g.parts = parts{units: map[string]*laneUnit{}, plates: map[string]*plateUnit{}}
	for _, lc := range cfg.Lanes {
		g.parts.units[lc.ID] = g.startLane(lc)
		g.parts.order = append(g.parts.order, lc.ID)
	}
	g.publishPartsLocked()
	g.partsMu.Unlock()
	ids, maxBody, order := plateSpecs(cfg.Lanes)
	g.partsMu.Lock()
	for _, addr := range order {
		g.parts.plates[addr] = g.startPlate(addr, ids[addr], maxBody[addr])
	}
	g.publishPartsLocked()
	g.partsMu.Unlock()
}

// stopParts stops every lane first, then every camera and listener.
func (g *Gateway) stopParts() {
	g.partsMu.Lock()
	p := g.parts
	g.partsMu.Unlock()
	var wg sync.WaitGroup
	for _, u := range p.units {
		wg.Go(func() { u.stopLane(); u.laneDone.Wait() })
	}
	wg.Wait()
	for _, u := range p.units {
		wg.Go(u.stop)
	}
	for _, pu := range p.plates {
		wg.Go(pu.halt)
	}
	wg.Wait()
}

// publishPartsLocked refreshes the lists Status reads.
func (g *Gateway) publishPartsLocked() {
	var lanes []*lane.Lane
	var cams []*camera.Camera
	for _, id := range g.parts.order {
		if u := g.parts.units[id]; u != nil {
			lanes = append(lanes, u.lane)
			cams = append(cams, u.cams...)
		}
	}
	var pls []*plateListener
	for _, addr := range slices.Sorted(maps.Keys(g.parts.plates)) {
		pls = append(pls, g.parts.plates[addr].pl)
	}
	g.lanes, g.cameras, g.plates = lanes, cams, pls
}

// swap moves the running lanes from cur to next: lanes whose config is unchanged keep running,
// the others are stopped and started with next's config, and plate listeners whose lanes or
// limits changed are restarted. It returns the lanes that were started.
func (g *Gateway) swap(cur, next *config.Config) []*laneUnit {
	g.partsMu.Lock()
	defer g.partsMu.Unlock()
	want := map[string]config.Lane{}
	for _, lc := range next.Lanes {
		want[lc.ID] = lc
	}
	// Stop changed and removed lanes, lanes before their cameras, all at once.
	var stopping []*laneUnit
	for id, u := range g.parts.units {
		if lc, ok := want[id]; !ok || !reflect.DeepEqual(lc, u.cfg) {
			stopping = append(stopping, u)
			delete(g.parts.units, id)
		}
	}
	ids, maxBody, _ := plateSpecs(next.Lanes)
	var stopPlates []*plateUnit
	for addr, pu := range g.parts.plates {
		if !slices.Equal(ids[addr], pu.lanes) || maxBody[addr] != pu.maxBody {
			stopPlates = append(stopPlates, pu)
			delete(g.parts.plates, addr)
		}
	}
	g.publishPartsLocked()
	// Stop without the lock: a plate request in flight may be looking up its lane.
	g.partsMu.Unlock()
	var wg sync.WaitGroup
	for _, u := range stopping {
		wg.Go(u.stop)
	}
	for _, pu := range stopPlates {
		wg.Go(pu.halt)
	}
	wg.Wait()
	g.partsMu.Lock()
	var started []*laneUnit
	g.parts.order = g.parts.order[:0]
	for _, lc := range next.Lanes {
		if _, ok := g.parts.units[lc.ID]; !ok {
			u := g.startLane(lc)
			g.parts.units[lc.ID] = u
			started = append(started, u)
		}
		g.parts.order = append(g.parts.order, lc.ID)
	}
	for id, reads := range g.pending {
		if u := g.parts.units[id]; u != nil {
			for _, r := range reads {
				u.lane.Plate(r)
			}
		} else {
			g.log.Warn("plates for a lane that is gone dropped", "lane", id, "plates", len(reads))
		}
		delete(g.pending, id)
	}
	for addr, lanes := range ids {
		if _, ok := g.parts.plates[addr]; !ok {
			g.parts.plates[addr] = g.startPlate(addr, lanes, maxBody[addr])
		}
	}
	g.publishPartsLocked()
	return started
}

// waitUp waits until every started lane's devices are up, or timeout; it returns the reason of
// the first that is not.
func waitUp(ctx context.Context, started []*laneUnit, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var why string
		for _, u := range started {
			if ok, reason := u.up(); !ok {
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
