package parts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
)

// fakeUnit is a lane that records what is done to it.
type fakeUnit struct {
	id     string
	gen    int // which build of the lane this is
	mu     sync.Mutex
	events []string
	plates []string
	up     bool
}

func (u *fakeUnit) log(e string) { u.mu.Lock(); u.events = append(u.events, e); u.mu.Unlock() }
func (u *fakeUnit) Start()       { u.log("start") }
func (u *fakeUnit) StopLane()    { u.log("stop-lane") }
func (u *fakeUnit) StopDevices() { u.log("stop-devices") }
func (u *fakeUnit) Plate(r plate.Read) error {
	u.mu.Lock()
	u.plates = append(u.plates, r.Plate)
	u.mu.Unlock()
	return nil
}
func (u *fakeUnit) Up() (bool, string) {
	if u.up {
		return true, ""
	}
	return false, "lane " + u.id + " is down"
}
func (u *fakeUnit) got() ([]string, []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.events), slices.Clone(u.plates)
}

type fakeListener struct {
	addr  string
	lanes []string
	sink  func(string, plate.Read) error
	mu    sync.Mutex
	state string
}

func (l *fakeListener) Start() { l.mu.Lock(); l.state = "running"; l.mu.Unlock() }
func (l *fakeListener) Stop()  { l.mu.Lock(); l.state = "stopped"; l.mu.Unlock() }

// fakeBuilder builds fake units; block, if set, holds a unit's StopLane until it is closed, so a
// test can push plates while the lane is being restarted.
type fakeBuilder struct {
	mu        sync.Mutex
	built     map[string][]*fakeUnit
	listeners []*fakeListener
	down      map[string]bool
}

func (b *fakeBuilder) Unit(lc config.Lane) *fakeUnit {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.built == nil {
		b.built = map[string][]*fakeUnit{}
	}
	u := &fakeUnit{id: lc.ID, gen: len(b.built[lc.ID]), up: !b.down[lc.ID]}
	b.built[lc.ID] = append(b.built[lc.ID], u)
	return u
}

func (b *fakeBuilder) Listener(addr string, lanes []string, _ int64, sink func(string, plate.Read) error) *fakeListener {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := &fakeListener{addr: addr, lanes: lanes, sink: sink}
	b.listeners = append(b.listeners, l)
	return l
}

func cfg(t *testing.T, lanes ...string) *config.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("site: p\ngateway: gw-01\nstore: {dir: data}\nlanes:\n")
	for _, l := range lanes {
		b.WriteString("  - " + l + "\n")
	}
	c, err := config.Parse([]byte(b.String()), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSwapRestartsOnlyChangedLanes: an unchanged lane keeps running; a changed one is stopped
// (lane first, then devices) and built again; a removed one is stopped; a new one started.
func TestSwapRestartsOnlyChangedLanes(t *testing.T) {
	b := &fakeBuilder{}
	p := New[*fakeUnit, *fakeListener](b, quiet())
	p.Start(cfg(t, "{id: a, scale: {port: /dev/ttyS0}}", "{id: b, scale: {port: /dev/ttyS1}}", "{id: c, scale: {port: /dev/ttyS2}}"))
	started := p.Swap(cfg(t, "{id: a, scale: {port: /dev/ttyS0}}", "{id: b, scale: {port: /dev/ttyS1, baud: 4800}}", "{id: d, scale: {port: /dev/ttyS3}}"))
	var ids []string
	for _, u := range started {
		ids = append(ids, fmt.Sprintf("%s#%d", u.id, u.gen))
	}
	if got := strings.Join(ids, ","); got != "b#1,d#0" {
		t.Errorf("started %s, want b#1,d#0", got)
	}
	if ev, _ := b.built["a"][0].got(); !slices.Equal(ev, []string{"start"}) {
		t.Errorf("unchanged lane a: %v", ev)
	}
	for _, id := range []string{"b", "c"} {
		if ev, _ := b.built[id][0].got(); !slices.Equal(ev, []string{"start", "stop-lane", "stop-devices"}) {
			t.Errorf("lane %s: %v", id, ev)
		}
	}
	var order []string
	for _, u := range p.Units() {
		order = append(order, u.id)
	}
	if got := strings.Join(order, ","); got != "a,b,d" {
		t.Errorf("units %s, want config order a,b,d", got)
	}
	p.Stop()
	if ev, _ := b.built["a"][0].got(); !slices.Equal(ev, []string{"start", "stop-lane", "stop-devices"}) {
		t.Errorf("lane a after Stop: %v", ev)
	}
}

// TestPlatesWaitForARestartingLane: plates pushed for a lane while it restarts go to the new
// lane, in order; plates for a lane that is gone are dropped; a full queue drops and counts.
func TestPlatesWaitForARestartingLane(t *testing.T) {
	b := &fakeBuilder{}
	p := New[*fakeUnit, *fakeListener](b, quiet())
	p.Start(cfg(t, "{id: a, scale: {port: /dev/ttyS0}, plate: {listen: '127.0.0.1:0'}}"))
	if len(b.listeners) != 1 || !slices.Equal(b.listeners[0].lanes, []string{"a"}) {
		t.Fatalf("listeners %+v", b.listeners)
	}
	sink := b.listeners[0].sink
	sink("a", plate.Read{Plate: "浙F00001"})
	// The lane is between its stop and its new start: what Swap does without its lock.
	p.mu.Lock()
	old := p.units["a"]
	delete(p.units, "a")
	p.mu.Unlock()
	refused := 0
	for i := range MaxPending + 3 {
		if err := sink("a", plate.Read{Plate: fmt.Sprintf("浙F%05d", i+2)}); err != nil {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("%d plates refused, want the 3 over MaxPending (the camera is told to try again)", refused)
	}
	sink("gone", plate.Read{Plate: "苏A00000"})
	p.mu.Lock()
	p.units["a"] = old
	p.mu.Unlock()
	p.Swap(cfg(t, "{id: a, scale: {port: /dev/ttyS0, baud: 4800}, plate: {listen: '127.0.0.1:0'}}"))
	_, first := b.built["a"][0].got()
	_, second := b.built["a"][1].got()
	if !slices.Equal(first, []string{"浙F00001"}) {
		t.Errorf("first lane got %v", first)
	}
	if len(second) != MaxPending || second[0] != "浙F00002" || second[MaxPending-1] != fmt.Sprintf("浙F%05d", MaxPending+1) {
		t.Errorf("new lane got %d plates (%v ... %v)", len(second), second[:1], second[len(second)-1:])
	}
	if p.PlatesDropped() != 3 {
		t.Errorf("dropped %d, want 3", p.PlatesDropped())
	}
	// The listener's lanes did not change, so it kept running.
	if len(b.listeners) != 1 || b.listeners[0].state != "running" {
		t.Errorf("listeners %d, first %s", len(b.listeners), b.listeners[0].state)
	}
	p.Stop()
	if b.listeners[0].state != "stopped" {
		t.Errorf("listener not stopped")
	}
}

func TestWaitUpNamesTheLaneThatIsDown(t *testing.T) {
	b := &fakeBuilder{down: map[string]bool{"b": true}}
	p := New[*fakeUnit, *fakeListener](b, quiet())
	p.Start(cfg(t, "{id: a, scale: {port: /dev/ttyS0}}", "{id: b, scale: {port: /dev/ttyS1}}"))
	defer p.Stop()
	err := WaitUp(context.Background(), p.Units(), 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "lane b is down") {
		t.Errorf("WaitUp = %v", err)
	}
	if err := WaitUp(context.Background(), p.Units()[:1], time.Second); err != nil {
		t.Errorf("WaitUp(a) = %v", err)
	}
}
