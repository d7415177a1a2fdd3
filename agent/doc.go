// Package agent is sitegate's top layer: orchestration, persistence and uplink. Its packages
// assemble passages from drivers' readings and models' judgements (lane), keep them durably
// (outbox), publish them (uplink) and wire a whole gateway from its config (gateway, cli).
//
// Nothing in sitegate/drivers or sitegate/models may import it.
package agent
