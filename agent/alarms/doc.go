// Package alarms raises equipment alarms: conditions of a device (a camera that cannot see, and
// later an indicator gone silent, a camera down, a plate camera silent) that operators must hear
// of once per episode, not once per passage. A condition opens an alarm after it has held for
// the debounce time, and closes it after it has been gone as long; each change is published (on
// the alarm topic, through the outbox) and the open set is kept in a file, so a restart neither
// repeats an open alarm nor forgets to close it.
//
// It imports agent/wire only.
package alarms
