package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/agent/systemd"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
	"sitegate/testbench/pty"
	"sitegate/testbench/sdnotify"
)

// notifySocket listens like the service manager and returns what the agent sends.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	return path, sdnotify.Listen(t, path)
}

// TestNotifiesReadyWatchdogStopping runs a gateway with one lane under a fake service manager:
// READY=1, then watchdog pings while the lane and uplink loops run, then STOPPING=1 and
// nothing after it.
func TestNotifiesReadyWatchdogStopping(t *testing.T) {
	mq, err := broker.Mochi("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mq.Close()
	dir := t.TempDir()
	_, port := pty.Pair(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`site: wd
gateway: gw-01
mqtt: {url: %q}
store: {dir: data}
lanes:
  - id: exit-1
    scale: {port: %s}
`, mq.URL(), port)), dir)
	if err != nil {
		t.Fatal(err)
	}
	sock, msgs := notifySocket(t)
	g, err := New(cfg, Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notifier: &systemd.Notifier{Socket: sock, Watchdog: 150 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	done := make(chan struct{})
	go func() { defer close(done); runErr = g.Run(ctx) }()
	defer func() { cancel(); <-done }()

	wait := func(what string, ok func(string) bool) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case m := <-msgs:
				if ok(m) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s notification", what)
			}
		}
	}
	wait("READY", func(m string) bool {
		return strings.HasPrefix(m, "READY=1\nSTATUS=running: site wd, gateway gw-01, 1 lane(s)")
	})
	for range 3 {
		wait("WATCHDOG", func(m string) bool { return m == "WATCHDOG=1\n" })
	}
	cancel()
	<-done
	if runErr != nil {
		t.Fatal(runErr)
	}
	// The pings stop before STOPPING=1 is sent, and datagrams arrive in order: nothing follows it.
	wait("STOPPING", func(m string) bool { return m == "STOPPING=1\nSTATUS=stopping\n" })
	for len(msgs) > 0 {
		t.Errorf("after STOPPING=1: %q", <-msgs)
	}
}
