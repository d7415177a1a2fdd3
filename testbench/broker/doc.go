// Package broker starts MQTT brokers for tests, demos and bench rigs: a real mosquitto process
// on a loopback port, and an embedded mochi-mqtt broker. It also offers a test subscriber.
//
// It is part of the testbench and must not import sitegate/agent, sitegate/models or
// sitegate/drivers: it stands for the world outside the gateway.
package broker
