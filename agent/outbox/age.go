package outbox

import (
	"time"

	sysclock "sitegate/agent/clock"
)

// ageClock is what max_age ages entries by. An entry is stamped with the wall clock when it is
// appended (Unix ms, kept on disk), and a wall clock can step: a gateway without a clock
// battery boots in 1970 and NTP steps it to the true time minutes later, which would make
// every entry appended before the step look 56 years old and drop the whole backlog.
//
// The policy: while the clock shows a time before clock.SaneEpoch (2020) nothing is aged, as no
// age can be told; an entry stamped before that epoch is aged from the first sane time this
// store saw in this process. So a backlog made in 1970 waits max_age from the clock's sync (or,
// after a restart, from the restart), never less; the cost is that such entries may wait longer
// than max_age, which a bound that exists to shed old data can afford. A step between two sane
// times (a restored fake-hwclock a few days behind) shifts ages by the step, as before.
type ageClock struct {
	saneSince int64 // Unix ms of the first sane time seen; 0 before
}

var saneEpochMs = sysclock.SaneEpoch.UnixMilli()

// observe notes the time now; it reports false while the clock shows no sane time.
func (c *ageClock) observe(now time.Time) bool {
	ms := now.UnixMilli()
	if ms < saneEpochMs {
		return false
	}
	if c.saneSince == 0 {
		c.saneSince = ms
	}
	return true
}

// cutoff is the append time before which an entry is older than maxAge at now; ok is false
// while the clock shows no sane time, when nothing may be aged.
func (c *ageClock) cutoff(now time.Time, maxAge time.Duration) (cutoff int64, ok bool) {
	if !c.observe(now) {
		return 0, false
	}
	return now.Add(-maxAge).UnixMilli(), true
}

// appended is when max_age takes an entry stamped at to have been appended: at itself, or for a
// stamp before the sane epoch, the first sane time seen. Call it only after cutoff said ok.
func (c *ageClock) appended(at int64) int64 {
	if at < saneEpochMs {
		return c.saneSince
	}
	return at
}
