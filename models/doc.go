// Package models is sitegate's middle layer: readings in, judgements out (a stable weight, an
// overload limit, a registry verdict, later a mud score). Its packages are pure: no I/O, no
// goroutines, time taken from their inputs. They may import sitegate/drivers for the reading
// types and must never import sitegate/agent.
package models

// Verdict is the outcome of one check of a passage.
type Verdict string

const (
	OK      Verdict = "ok"
	Alarm   Verdict = "alarm"
	Unknown Verdict = "unknown" // the agent could not judge: missing data is never ok
)
