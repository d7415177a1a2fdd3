// Package bench runs hardware-in-loop scenarios and the commissioning of a gate: a scenario
// (testbench/scenarios/*.yaml, docs/bench.md) names the devices, emulated or real, a timeline
// of trucks, plate reads and faults, and what the platform must then see; the runner starts
// the emulators, a broker and the agent (the sitegate binary as a child process, or a running
// gateway reached over MQTT), plays the timeline, checks the expectations from the platform's
// side (an MQTT subscriber) and writes JUnit, JSON and a self-contained HTML report.
//
// It is part of the testbench and may import anything; nothing outside the testbench and the
// CLI may import it.
package bench
