// Package testbench is the world outside a gateway, emulated and checked: a pty pair standing in
// for an RS-232 cable, an indicator emulator, a plate-camera emulator, synthetic video clips,
// MQTT brokers for tests, and the demo that runs them all against the agent.
//
// It may import every other sitegate package; nothing but tests and the CLI imports it.
package testbench
