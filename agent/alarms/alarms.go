package alarms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"sitegate/agent/wire"
)

// Options configure a Set.
type Options struct {
	// Path is the file the open alarms are kept in; "" keeps them in memory only.
	Path string
	// Debounce is how long a condition must hold before its alarm opens, and be gone before
	// it closes; default 30 s.
	Debounce time.Duration
	// Publish sends an alarm message (through the outbox); a failure is logged and the change
	// is kept, so the set stays true to the device.
	Publish func(wire.Alarm) error
	// Now is the clock; default time.Now. Location is the zone of the written times.
	Now      func() time.Time
	Location *time.Location
	Logger   *slog.Logger
}

// key names one condition: its kind, device and lane.
type key struct{ Kind, Device, Lane string }

// cond is a condition's debounce state.
type cond struct {
	raised   bool      // the condition holds now
	changed  time.Time // when it last began or ended
	reason   string
	alarm    *wire.Alarm // the open alarm, if any
	sinceRaw time.Time
}

// Set is the gateway's alarms. Safe for concurrent use.
type Set struct {
	o  Options
	mu sync.Mutex
	m  map[key]*cond
}

// Open loads the open alarms kept at o.Path (none when it does not exist) and returns the set.
func Open(o Options) (*Set, error) {
	if o.Debounce <= 0 {
		o.Debounce = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Set{o: o, m: map[key]*cond{}}
	if o.Path == "" {
		return s, nil
	}
	b, err := os.ReadFile(o.Path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alarms %s: %w", o.Path, err)
	}
	var open []wire.Alarm
	if err := json.Unmarshal(b, &open); err != nil {
		// A torn file loses only the open set: alarms open again if their conditions hold.
		o.Logger.Warn("alarms file unreadable, starting with none open", "path", o.Path, "err", err)
		return s, nil
	}
	now := o.Now()
	for _, a := range open {
		if a.State != wire.AlarmOpen || a.Kind == "" || a.Device == "" {
			continue
		}
		a := a
		since, _ := time.Parse(wire.TimeLayout, a.Since)
		// Held until the condition is seen gone for the debounce time.
		s.m[key{a.Kind, a.Device, a.Lane}] = &cond{raised: true, changed: now, reason: a.Reason, alarm: &a, sinceRaw: since}
	}
	return s, nil
}

// Raise says the condition holds now, for reason. The alarm opens once it has held for the
// debounce time.
func (s *Set) Raise(kind, device, lane, reason string) { s.set(key{kind, device, lane}, true, reason) }

// Clear says the condition is gone. An open alarm closes once it has been gone for the debounce
// time.
func (s *Set) Clear(kind, device, lane string) { s.set(key{kind, device, lane}, false, "") }

func (s *Set) set(k key, raised bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	c := s.m[k]
	if c == nil {
		if !raised {
			return
		}
		c = &cond{}
		s.m[k] = c
	}
	if c.raised != raised {
		c.raised, c.changed = raised, now
		if raised {
			c.sinceRaw = now
		}
	}
	if raised {
		c.reason = reason
	}
	s.step(k, c, now)
}

// step opens or closes k's alarm when its condition has held or been gone long enough.
func (s *Set) step(k key, c *cond, now time.Time) {
	held := now.Sub(c.changed) >= s.o.Debounce
	switch {
	case c.raised && c.alarm == nil && held:
		a := wire.Alarm{Schema: wire.AlarmSchema, ID: newID(), Kind: k.Kind, Device: k.Device, Lane: k.Lane, State: wire.AlarmOpen,
			Since: c.sinceRaw.In(s.o.Location).Format(wire.TimeLayout), Time: now.In(s.o.Location).Format(wire.TimeLayout), Reason: c.reason}
		c.alarm = &a
		s.o.Logger.Warn("alarm open", "kind", k.Kind, "device", k.Device, "lane", k.Lane, "reason", c.reason)
		s.publish(a)
		s.save()
	case c.raised && c.alarm != nil && c.alarm.Reason != c.reason && c.reason != "":
		c.alarm.Reason = c.reason // the status says the latest reason; no new message
	case !c.raised && c.alarm != nil && held:
		a := *c.alarm
		a.State, a.Time = wire.AlarmClosed, now.In(s.o.Location).Format(wire.TimeLayout)
		c.alarm = nil
		delete(s.m, k)
		s.o.Logger.Info("alarm closed", "kind", k.Kind, "device", k.Device, "lane", k.Lane)
		s.publish(a)
		s.save()
	case !c.raised && c.alarm == nil:
		delete(s.m, k) // a condition that ended before its alarm opened
	}
}

func (s *Set) publish(a wire.Alarm) {
	if s.o.Publish == nil {
		return
	}
	if err := s.o.Publish(a); err != nil {
		s.o.Logger.Error("alarm not published", "kind", a.Kind, "device", a.Device, "state", a.State, "err", err)
	}
}

// save writes the open alarms; the caller holds mu.
func (s *Set) save() {
	if s.o.Path == "" {
		return
	}
	b, _ := json.Marshal(s.open())
	if err := os.MkdirAll(filepath.Dir(s.o.Path), 0o750); err == nil {
		tmp := s.o.Path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o640); err == nil {
			err = os.Rename(tmp, s.o.Path)
		}
		if err == nil {
			return
		}
		s.o.Logger.Error("alarms not saved", "path", s.o.Path, "err", err)
	}
}

func (s *Set) open() []wire.Alarm {
	out := []wire.Alarm{}
	for _, c := range s.m {
		if c.alarm != nil {
			out = append(out, *c.alarm)
		}
	}
	slices.SortFunc(out, func(a, b wire.Alarm) int {
		if a.Kind+a.Device+a.Lane < b.Kind+b.Device+b.Lane {
			return -1
		}
		return 1
	})
	return out
}

// Open lists the open alarms, for the status.
func (s *Set) Open() []wire.Alarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open()
}

// Tick opens and closes what the debounce time now allows, without a new observation.
func (s *Set) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	for k, c := range s.m {
		s.step(k, c, now)
	}
}

// Run ticks every second (or a tenth of the debounce time, if shorter) until ctx is done.
func (s *Set) Run(ctx context.Context) {
	every := min(time.Second, max(10*time.Millisecond, s.o.Debounce/10))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Tick()
		}
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
