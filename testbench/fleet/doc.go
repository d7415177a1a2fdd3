// Package fleet simulates a fleet of gateways against one broker: many uplinks, each with an
// outbox of its own, in one process, publishing to one mosquitto that is stopped and started
// again while passages keep coming. It measures what a broker restart does to a fleet: how the
// reconnects spread in time (connects per 100 ms), how long until every backlog is drained and
// the platform's subscriber has every passage, and how many passages it received twice.
//
// It is the world outside a gateway, so it may import the agent's packages; only its own
// command and tests import it.
package fleet
