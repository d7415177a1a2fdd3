// Package checks defines the passage checks a lane runs (overload, registry, permit, mud, and
// the next ones), each a unit with one interface in its own folder, and the registry that builds
// a lane's checks in order. A lane gathers the Facts of a finished visit, runs every check over
// them, and publishes what they wrote in wire.Checks; the alarms are the checks in alarm, in the
// registry's order.
//
// Adding a check: a folder under agent/checks/ whose init calls Register, its field in
// wire.Checks (the wire contract), and one import line in agent/checks/all. Nothing in the
// lane or the gateway changes.
//
// It imports agent/wire, firmware-config, drivers and models; never the lane, the uplink or the
// gateway.
package checks
