// Package mqttconn is the one place sitegate sets up an MQTT client: the paho options every
// client shares (ClientOptions), the TLS configuration read from PEM files (LoadTLS) and the
// broker password read from its file (ReadPasswordFile). The uplink, sitegate ctl, the demo's
// viewer and the gateway's config all go through it, so a client of one is a client of all.
//
// It opens no connection itself. It imports only paho and the standard library: no other
// sitegate package, so any layer may use it.
package mqttconn
