package alarms

import (
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sitegate/agent/wire"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type sink struct {
	mu  sync.Mutex
	got []wire.Alarm
}

func (s *sink) publish(a wire.Alarm) error {
	s.mu.Lock()
	s.got = append(s.got, a)
	s.mu.Unlock()
	return nil
}
func (s *sink) all() []wire.Alarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Alarm(nil), s.got...)
}

func TestOncePerEpisode(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
	var out sink
	path := filepath.Join(t.TempDir(), "alarms.json")
	o := Options{Path: path, Debounce: 10 * time.Second, Publish: out.publish, Now: clk.now, Location: time.UTC, Logger: slog.New(slog.DiscardHandler)}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	// A blind frame for 5 s, then a good one: shorter than the debounce, no alarm.
	s.Raise(wire.AlarmCameraBlind, "wheels", "exit-1", "camera cannot see: too dark")
	clk.add(5 * time.Second)
	s.Clear(wire.AlarmCameraBlind, "wheels", "exit-1")
	clk.add(20 * time.Second)
	s.Tick()
	if len(out.all()) != 0 || len(s.Open()) != 0 {
		t.Fatalf("a short glitch raised %v", out.all())
	}
	// Blind for a minute, seen at every passage: one open message.
	for i := 0; i < 12; i++ {
		s.Raise(wire.AlarmCameraBlind, "wheels", "exit-1", "camera cannot see: too dark")
		clk.add(5 * time.Second)
	}
	got := out.all()
	if len(got) != 1 || got[0].State != wire.AlarmOpen || got[0].Kind != "camera_blind" || got[0].Device != "wheels" ||
		got[0].Lane != "exit-1" || got[0].Since != "2026-12-01T08:00:25.000Z" || got[0].Schema != wire.AlarmSchema || got[0].ID == "" {
		t.Fatalf("published %+v", got)
	}
	if open := s.Open(); len(open) != 1 || open[0].ID != got[0].ID {
		t.Fatalf("open %+v", open)
	}
	// A restart keeps it open without a second message.
	s2, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	s2.Raise(wire.AlarmCameraBlind, "wheels", "exit-1", "camera cannot see: too dark")
	if len(out.all()) != 1 || len(s2.Open()) != 1 {
		t.Fatalf("after a restart: %v, open %v", out.all(), s2.Open())
	}
	// It sees again: closed after the debounce, with the open message's id and since.
	s2.Clear(wire.AlarmCameraBlind, "wheels", "exit-1")
	clk.add(4 * time.Second)
	s2.Tick()
	if len(out.all()) != 1 {
		t.Fatal("closed before the debounce")
	}
	clk.add(7 * time.Second)
	s2.Tick()
	got = out.all()
	if len(got) != 2 || got[1].State != wire.AlarmClosed || got[1].ID != got[0].ID || got[1].Since != got[0].Since {
		t.Fatalf("published %+v", got)
	}
	if len(s2.Open()) != 0 {
		t.Fatal("still open")
	}
	s3, _ := Open(o)
	if len(s3.Open()) != 0 {
		t.Fatal("the closed alarm came back after a restart")
	}
}
