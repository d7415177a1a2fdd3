package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDeliveryKeys covers the store bounds and the insecure-transport rule.
func TestDeliveryKeys(t *testing.T) {
	with := func(extra string) string {
		return strings.Replace(minimal, "gateway: gw-01", "gateway: gw-01\n"+extra, 1)
	}
	cases := []struct {
		name string
		in   string
		want string // a problem line prefix; "" means valid
	}{
		{"defaults", minimal, ""},
		{"max_age set", with("store: {max_age: 720h}"), ""},
		{"max_age too short", with("store: {max_age: 10s}"), "store.max_age: 10s is too short"},
		{"reserve too small", with("store: {reserve_bytes: 512KiB}"), "store.reserve_bytes: 512KiB is too small"},
		{"reserve not a size", with("store: {reserve_bytes: much}"), "store.reserve_bytes:"},
		{"tcp to a remote host", with("mqtt: {url: tcp://broker.example.com:1883}"), "mqtt.url: \"tcp://broker.example.com:1883\" is plain tcp://"},
		{"tcp to a LAN address", with("mqtt: {url: tcp://192.168.1.10:1883}"), "mqtt.url:"},
		{"tcp to a remote host allowed", with("mqtt: {url: tcp://broker.example.com:1883, allow_insecure: true}"), ""},
		{"tcp to localhost", with("mqtt: {url: tcp://localhost:1883}"), ""},
		{"tcp to ::1", with("mqtt: {url: \"tcp://[::1]:1883\"}"), ""},
		{"ssl to a remote host", with("mqtt: {url: ssl://broker.example.com:8883}"), ""},
		{"allow_insecure not a bool", with("mqtt: {allow_insecure: maybe}"), "mqtt.allow_insecure:"},
		{"memory limit off", with("process: {memory_limit: 0}"), ""},
		{"memory limit raised", with("process: {memory_limit: 256MiB}"), ""},
		{"memory limit too small", with("process: {memory_limit: 4MiB}"), "process.memory_limit: 4MiB is too small"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.in), "/srv")
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems starting %q, got %v (%+v)", c.want, err, cfg)
			}
			for _, p := range ps {
				if strings.HasPrefix(p.String(), c.want) {
					return
				}
			}
			t.Errorf("no problem starts %q in:\n%v", c.want, err)
		})
	}
	cfg, err := Parse([]byte(minimal), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.MaxAge != 0 || cfg.Store.ReserveBytes != 64<<20 || cfg.MQTT.AllowInsecure || cfg.Process.MemoryLimit != 40<<20 {
		t.Errorf("defaults: store %+v, allow_insecure %v, process %+v", cfg.Store, cfg.MQTT.AllowInsecure, cfg.Process)
	}
	if _, err := Parse([]byte(with("store: {max_age: 1h}")), "/srv"); err != nil {
		t.Fatal(err)
	} else if c, _ := Parse([]byte(with("store: {max_age: 1h}")), "/srv"); c.Store.MaxAge.D() != time.Hour {
		t.Errorf("max_age = %s", c.Store.MaxAge)
	}
}
