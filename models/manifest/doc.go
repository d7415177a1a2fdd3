// Package manifest holds a site's electronic transfer manifests (电子联单, CONTRACT section 10)
// and judges an exit against them: a truck leaving needs a manifest for its plate valid at its
// exit, and one manifest covers one trip.
//
// It parses outside bytes (a retained MQTT message, a local file), so it is strict and fuzzed.
// It is pure: which manifests were used already is told to it by the caller (agent/checks/manifest
// keeps that ledger). It imports sitegate/drivers/plate for plate normalisation, never sitegate/agent.
package manifest
