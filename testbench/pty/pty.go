// Package pty opens Linux pseudo-terminal pairs that stand in for RS-232 cables in tests and in
// the demo: an emulator writes on the master side, and the slave path is opened like any serial
// port (termios works on a pty slave).
//
// It belongs to the test bench and is Linux-only. It must not import sitegate/models or
// sitegate/agent.
package pty

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open opens a new pty pair through /dev/ptmx and returns its master side and the path of its
// slave side (/dev/pts/N). The slave's line discipline is set raw (no echo, no canonical mode, no
// signal characters, no CR/NL mapping, no XON/XOFF), so bytes written on the master reach a reader
// of the slave unchanged even before that reader has configured the port itself.
//
// Closing the master hangs the slave up: reads on an open slave then fail with EIO and the slave
// path disappears.
func Open() (master *os.File, slavePath string, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("pty: open /dev/ptmx: %w", err)
	}
	raw, err := m.SyscallConn()
	if err != nil {
		m.Close()
		return nil, "", fmt.Errorf("pty: %w", err)
	}
	var n int
	var opErr error
	// Control rather than Fd: Fd would switch the master to blocking mode and take it out of
	// the runtime poller, so Close could no longer interrupt a pending Read or Write.
	err = raw.Control(func(fd uintptr) {
		if opErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); opErr != nil {
			opErr = fmt.Errorf("unlock (TIOCSPTLCK): %w", opErr)
			return
		}
		if n, opErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN); opErr != nil {
			opErr = fmt.Errorf("slave number (TIOCGPTN): %w", opErr)
			return
		}
		// On Linux, termios requests on the master act on the slave's settings.
		var t *unix.Termios
		if t, opErr = unix.IoctlGetTermios(int(fd), unix.TCGETS); opErr != nil {
			opErr = fmt.Errorf("get termios: %w", opErr)
			return
		}
		makeRaw(t)
		if opErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t); opErr != nil {
			opErr = fmt.Errorf("set termios: %w", opErr)
		}
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		m.Close()
		return nil, "", fmt.Errorf("pty: %w", err)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n), nil
}

// makeRaw does what cfmakeraw(3) does.
func makeRaw(t *unix.Termios) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
}

// TB is the part of testing.TB that Pair uses; it keeps package testing out of the binaries
// (the demo) that use Open.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// Pair opens a pty pair for a test and closes its master when the test ends. It fails the test
// if the pair cannot be opened.
func Pair(tb TB) (master *os.File, slavePath string) {
	tb.Helper()
	m, p, err := Open()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m, p
}
