// Package clock tells whether the system clock can be trusted: whether the kernel says it is
// synchronised (adjtimex), or, where the kernel cannot be asked, whether it at least looks set.
// A gateway without a battery-backed clock boots in 1970 until NTP steps it; what the agent
// stamps, ages or checks against the wall clock asks this package first.
//
// It imports only the standard library and golang.org/x/sys: every other package of the agent
// may import it, and it must not import any of them.
package clock
