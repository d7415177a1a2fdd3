// Package control is the pure logic of the remote control plane (CONTRACT section 6): desired
// configs (versions, the remotely settable keys, the candidate laid over the local file), the
// reported state and its persistence, ed25519 signatures with expiry and a replay cache, command
// requests and replies, and the size limits of everything that comes in.
//
// It talks to no broker and opens no device, so every rule is tested without one; the gateway
// wires it to the uplink and the lanes. It imports firmware-config, models and agent/clock; never the uplink,
// the lanes, the gateway or a driver.
package control
