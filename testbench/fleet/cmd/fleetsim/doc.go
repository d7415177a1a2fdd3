// Command fleetsim simulates a fleet of gateways against one mosquitto restarted under it and
// prints how the reconnects spread, how long the backlogs took to drain, and the duplicates.
//
//	go run ./testbench/fleet/cmd/fleetsim -gateways 200 -backlog 100 -outage 5s
package main
