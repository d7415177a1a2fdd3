// Package systemd speaks the service manager's notify protocol (sd_notify(3)): readiness,
// stopping, status text and watchdog pings, sent as datagrams to $NOTIFY_SOCKET.
//
// It is a leaf: it imports only the standard library, and never drivers, models or agent.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends notifications to one socket. A nil *Notifier is valid and sends nothing, so
// code can notify unconditionally whether or not it runs under systemd.
type Notifier struct {
	// Socket is the notify socket's path; a leading '@' names an abstract socket.
	Socket string
	// Watchdog is the service's watchdog timeout (WatchdogSec=); zero means no watchdog.
	Watchdog time.Duration
}

// FromEnv returns the Notifier described by $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID,
// or nil when the process was not started by a service manager that expects notifications.
// A watchdog meant for another process (WATCHDOG_PID set to a different pid) is ignored.
func FromEnv() (*Notifier, error) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil, nil
	}
	n := &Notifier{Socket: sock}
	wd, err := watchdogFromEnv(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid())
	if err != nil {
		return n, err
	}
	n.Watchdog = wd
	return n, nil
}

func watchdogFromEnv(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, nil
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("systemd: WATCHDOG_PID %q: %w", pid, err)
		}
		if p != self {
			return 0, nil
		}
	}
	u, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || u == 0 || u > math.MaxInt64/uint64(time.Microsecond) {
		return 0, fmt.Errorf("systemd: WATCHDOG_USEC %q is not a positive number of microseconds", usec)
	}
	return time.Duration(u) * time.Microsecond, nil
}

// Notify sends one notification made of state lines such as "READY=1" or "STATUS=...".
func (n *Notifier) Notify(state ...string) error {
	if n == nil || n.Socket == "" {
		return nil
	}
	for _, s := range state {
		if s == "" || strings.ContainsRune(s, '\n') || !strings.Contains(s, "=") {
			return fmt.Errorf("systemd notify %s: malformed state %q", n.Socket, s)
		}
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.Socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("systemd notify %s: %w", n.Socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(state, "\n") + "\n")); err != nil {
		return fmt.Errorf("systemd notify %s: %w", n.Socket, err)
	}
	return nil
}

// Ready tells the manager the service has started; status is shown by `systemctl status`.
func (n *Notifier) Ready(status string) error {
	return n.Notify("READY=1", "STATUS="+oneLine(status))
}

// Stopping tells the manager the service is shutting down.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1", "STATUS=stopping") }

// RunWatchdog pings the watchdog every Watchdog/3 while healthy returns nil, until ctx is done.
// While healthy returns an error no ping is sent, so the manager restarts the service once the
// watchdog timeout passes; the error is logged once when health is lost and again when it
// changes. It returns at once if there is no watchdog.
func (n *Notifier) RunWatchdog(ctx context.Context, healthy func() error, log *slog.Logger) {
	if n == nil || n.Watchdog <= 0 {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(max(n.Watchdog/3, time.Millisecond))
	defer t.Stop()
	var last string
	for {
		err := healthy()
		switch {
		case err == nil:
			if last != "" {
				log.Info("watchdog: healthy again, pinging")
				last = ""
			}
			if perr := n.Notify("WATCHDOG=1"); perr != nil {
				log.Warn("watchdog ping", "err", perr)
			}
		case err.Error() != last:
			last = err.Error()
			log.Error("watchdog: not pinging, the service manager will restart sitegate if this lasts", "err", err, "timeout", n.Watchdog)
			n.Notify("STATUS=" + oneLine("unhealthy: "+last))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// ErrStale is wrapped by Stale's error.
var ErrStale = errors.New("loop made no progress")

// Loop is one long-running loop whose progress the watchdog checks.
type Loop struct {
	Name string
	// Beat is when the loop last made progress; the zero time means it is not running.
	Beat func() time.Time
}

// Stale reports the first loop that has not made progress within the last within, or nil if
// every loop is alive.
func Stale(now time.Time, within time.Duration, loops []Loop) error {
	for _, l := range loops {
		b := l.Beat()
		if b.IsZero() {
			return fmt.Errorf("%s: not running: %w", l.Name, ErrStale)
		}
		if age := now.Sub(b); age > within {
			return fmt.Errorf("%s: last progress %s ago: %w", l.Name, age.Round(time.Second), ErrStale)
		}
	}
	return nil
}
