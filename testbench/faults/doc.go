// Package faults holds the store-and-forward fault tests: the built sitegate binary against a
// real mosquitto under broker outages and restarts, SIGKILLs, a full disk and TLS. They take
// minutes, so they sit behind the build tag "faults" (make test-faults).
//
// It is part of the testbench: it drives the agent only through its contract (the binary, its
// config, HTTP plate pushes, MQTT), and must not import sitegate/agent or sitegate/models.
package faults
