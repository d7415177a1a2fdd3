// Package seal signs the gateway's passages and checks them: the gateway's ed25519 key (made
// at first start in the store), the canonical form a signature covers (RFC 8785 JSON of the
// passage without its signature), the chain that links each passage to the one stored before
// it, and the verification of an exported passage and its files (docs/evidence.md).
//
// It imports only sitegate/agent/wire.
package seal
