package systemd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sitegate/testbench/sdnotify"
)

// listen opens a notify socket like the service manager's and returns its messages.
func listen(t *testing.T, name string) <-chan string { return sdnotify.Listen(t, name) }

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no notification arrived")
		return ""
	}
}

func TestNotify(t *testing.T) {
	cases := []struct {
		name   string
		socket func(t *testing.T) string
	}{
		{"path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "notify") }},
		{"abstract", func(t *testing.T) string { return "@sitegate-test-" + strings.ReplaceAll(t.Name(), "/", "-") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sock := c.socket(t)
			msgs := listen(t, sock)
			n := &Notifier{Socket: sock}
			if err := n.Ready("1 lane"); err != nil {
				t.Fatal(err)
			}
			if got := next(t, msgs); got != "READY=1\nSTATUS=1 lane\n" {
				t.Errorf("ready sent %q", got)
			}
			if err := n.Stopping(); err != nil {
				t.Fatal(err)
			}
			if got := next(t, msgs); got != "STOPPING=1\nSTATUS=stopping\n" {
				t.Errorf("stopping sent %q", got)
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	var nilN *Notifier
	if err := nilN.Notify("READY=1"); err != nil {
		t.Errorf("nil notifier: %v", err)
	}
	missing := &Notifier{Socket: filepath.Join(t.TempDir(), "absent")}
	if err := missing.Notify("READY=1"); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("absent socket: err = %v", err)
	}
	for _, bad := range []string{"", "READY", "READY=1\nWATCHDOG=1"} {
		if err := missing.Notify(bad); err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("Notify(%q) err = %v, want malformed", bad, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name       string
		sock, usec string
		pid        string
		want       *Notifier
		wantErr    bool
	}{
		{name: "not under systemd", want: nil},
		{name: "no watchdog", sock: "/run/systemd/notify", want: &Notifier{Socket: "/run/systemd/notify"}},
		{name: "watchdog", sock: "/run/n", usec: "30000000", want: &Notifier{Socket: "/run/n", Watchdog: 30 * time.Second}},
		{name: "watchdog for us", sock: "/run/n", usec: "1000", pid: "self", want: &Notifier{Socket: "/run/n", Watchdog: time.Millisecond}},
		{name: "watchdog for another pid", sock: "/run/n", usec: "1000", pid: "1", want: &Notifier{Socket: "/run/n"}},
		{name: "bad usec", sock: "/run/n", usec: "soon", wantErr: true},
		{name: "zero usec", sock: "/run/n", usec: "0", wantErr: true},
		{name: "bad pid", sock: "/run/n", usec: "1000", pid: "x", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pid := c.pid
			if pid == "self" {
				pid = itoa(osGetpid())
			}
			t.Setenv("NOTIFY_SOCKET", c.sock)
			t.Setenv("WATCHDOG_USEC", c.usec)
			t.Setenv("WATCHDOG_PID", pid)
			n, err := FromEnv()
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if c.wantErr {
				return
			}
			if (n == nil) != (c.want == nil) || (n != nil && *n != *c.want) {
				t.Errorf("FromEnv = %+v, want %+v", n, c.want)
			}
		})
	}
}

// TestRunWatchdog: pings while healthy, none while unhealthy, and again once healthy.
func TestRunWatchdog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	msgs := listen(t, sock)
	n := &Notifier{Socket: sock, Watchdog: 30 * time.Millisecond}
	var sick atomic.Bool
	checked := make(chan bool, 1000)
	healthy := func() error {
		s := sick.Load()
		checked <- s
		if s {
			return errors.New("lane exit-1: stuck")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.RunWatchdog(ctx, healthy, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() { cancel(); <-done }()

	if got := next(t, msgs); got != "WATCHDOG=1\n" {
		t.Fatalf("healthy: sent %q", got)
	}
	sick.Store(true)
	// Wait for the watchdog to see the sickness, then drain what was sent before it did.
	for s := range checked {
		if s {
			break
		}
	}
	// Pings sent before that check may still be queued; the status line follows them.
	for {
		m := next(t, msgs)
		if m == "STATUS=unhealthy: lane exit-1: stuck\n" {
			break
		}
		if m != "WATCHDOG=1\n" {
			t.Fatalf("sent %q", m)
		}
	}
	// Three more unhealthy checks: nothing but the status line may have been sent.
	for i := 0; i < 3; {
		if <-checked {
			i++
		}
	}
	for len(msgs) > 0 {
		if m := <-msgs; m != "STATUS=unhealthy: lane exit-1: stuck\n" {
			t.Fatalf("unhealthy, yet sent %q", m)
		}
	}
	sick.Store(false)
	for {
		m := next(t, msgs)
		if m == "WATCHDOG=1\n" {
			break
		}
		if m != "STATUS=unhealthy: lane exit-1: stuck\n" {
			t.Fatalf("recovering: sent %q", m)
		}
	}
}

func TestRunWatchdogDisabled(t *testing.T) {
	called := false
	var n *Notifier
	n.RunWatchdog(context.Background(), func() error { called = true; return nil }, nil)
	(&Notifier{Socket: "/nowhere"}).RunWatchdog(context.Background(), func() error { called = true; return nil }, nil)
	if called {
		t.Error("health checked without a watchdog")
	}
}

func TestStale(t *testing.T) {
	now := time.Date(2025, 5, 20, 8, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) func() time.Time { return func() time.Time { return now.Add(-ago) } }
	never := func() time.Time { return time.Time{} }
	cases := []struct {
		name  string
		loops []Loop
		want  string // "" for healthy, else a part of the error
	}{
		{"none", nil, ""},
		{"all fresh", []Loop{{"lane exit-1", at(time.Second)}, {"uplink", at(0)}}, ""},
		{"at the limit", []Loop{{"uplink", at(30 * time.Second)}}, ""},
		{"one stale", []Loop{{"lane exit-1", at(time.Second)}, {"uplink", at(31 * time.Second)}}, "uplink: last progress 31s ago"},
		{"not running", []Loop{{"lane exit-2", never}}, "lane exit-2: not running"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Stale(now, 30*time.Second, c.loops)
			if c.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrStale) {
				t.Fatalf("err = %v, want %q wrapping ErrStale", err, c.want)
			}
		})
	}
}

func osGetpid() int { return os.Getpid() }

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzWatchdogFromEnv: any WATCHDOG_USEC and WATCHDOG_PID give a positive timeout, none, or an
// error; never a negative timeout or a panic.
func FuzzWatchdogFromEnv(f *testing.F) {
	for _, seed := range [][2]string{{"30000000", ""}, {"1000", "42"}, {"soon", ""}, {"0", ""}, {"1000", "x"}, {"", ""}, {"18446744073709551615", ""}, {"9223372036854775807", ""}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, usec, pid string) {
		d, err := watchdogFromEnv(usec, pid, 42)
		if d < 0 || (err != nil && d != 0) {
			t.Fatalf("watchdogFromEnv(%q, %q) = %v, %v", usec, pid, d, err)
		}
	})
}
