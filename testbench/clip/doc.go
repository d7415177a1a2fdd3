// Package clip writes short synthetic traffic videos (a truck crossing a grey road) that stand in
// for a real camera in tests, benchmarks and the demo.
//
// It belongs to the testbench and must not import sitegate/agent or sitegate/models.
package clip
