// Package wire is sitegate's MQTT contract in one place (CONTRACT sections 6 onwards): the topic
// layout, built and parsed, and the payload types every message carries. Lanes, the gateway, the
// control plane, `sitegate ctl`, the demo viewer and tests all build and read messages through it,
// so the topic root is written once and a consumer can decode a passage without linking the
// gateway.
//
// It holds types and pure functions only: no broker, no device, no goroutine. It may import the
// payload types of drivers, models and firmware-config that the messages embed; it must not import
// any other agent package (they import it).
package wire
