package clock

import (
	"time"

	"golang.org/x/sys/unix"
)

// adjtimex reads the kernel's NTP state without changing it (modes 0 needs no privilege).
func adjtimex() (synced bool, maxErr time.Duration, ok bool) {
	var tx unix.Timex
	if _, err := unix.Adjtimex(&tx); err != nil {
		return false, 0, false
	}
	return tx.Status&unix.STA_UNSYNC == 0, time.Duration(tx.Maxerror) * time.Microsecond, true
}
