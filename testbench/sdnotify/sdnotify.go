// Package sdnotify stands in for systemd's side of the notify protocol in tests: a unix
// datagram socket that collects what a service sends (READY=1, WATCHDOG=1, STOPPING=1).
//
// It imports nothing of sitegate.
package sdnotify

import (
	"net"
	"testing"
)

// Listen opens a notify socket at name (a path, or "@name" for the abstract namespace) and
// returns the messages it receives, until the test ends.
func Listen(tb testing.TB, name string) <-chan string {
	tb.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		tb.Fatal(err)
	}
	out := make(chan string, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			out <- string(buf[:n])
		}
	}()
	tb.Cleanup(func() { c.Close(); <-done })
	return out
}
