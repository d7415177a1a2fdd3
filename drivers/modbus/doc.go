// Package modbus is a small Modbus TCP client for the discrete signals of site equipment: the
// wash-bay controller's "vehicle in bay" or "washing" output, read as a discrete input or a
// coil (function codes 0x02 and 0x01).
//
// It takes the connection from a dialer, so a test and a PLC are the same to it, frames are
// parsed strictly (every field of a response is checked against its request) and fuzzed. It
// imports nothing from sitegate.
package modbus
