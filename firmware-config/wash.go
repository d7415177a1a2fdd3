package config

import (
	"net"
	"slices"
	"strconv"
	"time"
)

// Wash sources (lanes[].wash.source).
const (
	WashNone       = "none"
	WashFromModbus = "modbus"
)

// Wash is how a lane sees its wash bay (the wash check, CONTRACT 10): the wash controller's
// "vehicle in bay" output read over Modbus TCP.
type Wash struct {
	Source string     `yaml:"source"` // none | modbus
	Modbus WashModbus `yaml:"modbus"`
	// Window is how long before reaching the exit deck a truck's wash may have ended.
	Window Duration `yaml:"window"`
	// Poll is how often the input is read.
	Poll Duration `yaml:"poll"`
}

// WashModbus is the bit of the wash controller that is set while a vehicle is in the bay.
type WashModbus struct {
	Address string `yaml:"address"` // host:port of the controller (Modbus TCP)
	Unit    int    `yaml:"unit"`    // the unit (slave) id
	Table   string `yaml:"table"`   // discrete | coil
	Index   int    `yaml:"index"`   // the bit's 0-based address
	Active  string `yaml:"active"`  // high: set while a vehicle is in the bay | low: cleared
}

// WashRule is the wash rule: a truck must stand in the bay at least MinDuration.
type WashRule struct {
	MinDuration Duration `yaml:"min_duration"`
}

func validateWash(w Wash, p string, ps *problems) {
	if !slices.Contains([]string{WashNone, WashFromModbus}, w.Source) {
		ps.add(p+".source", "%q is not one of none, modbus", w.Source)
		return
	}
	if w.Source == WashNone {
		return
	}
	if w.Window.D() < time.Minute || w.Window.D() > 2*time.Hour {
		ps.add(p+".window", "%s is not 1m to 2h", w.Window)
	}
	if w.Poll.D() < 100*time.Millisecond || w.Poll.D() > 10*time.Second {
		ps.add(p+".poll", "%s is not 100ms to 10s", w.Poll)
	}
	m, mp := w.Modbus, p+".modbus"
	if host, port, err := net.SplitHostPort(m.Address); err != nil || host == "" {
		ps.add(mp+".address", "%q is not host:port", m.Address)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ps.add(mp+".address", "%q has no valid port", m.Address)
	}
	if m.Unit < 0 || m.Unit > 255 {
		ps.add(mp+".unit", "%d is not 0 to 255", m.Unit)
	}
	if !slices.Contains([]string{"discrete", "coil"}, m.Table) {
		ps.add(mp+".table", "%q is not one of discrete, coil", m.Table)
	}
	if m.Index < 0 || m.Index > 65535 {
		ps.add(mp+".index", "%d is not 0 to 65535", m.Index)
	}
	if !slices.Contains([]string{"high", "low"}, m.Active) {
		ps.add(mp+".active", "%q is not one of high, low", m.Active)
	}
}

func validateWashRule(r WashRule, ps *problems) {
	if r.MinDuration < 0 || r.MinDuration.D() > 30*time.Minute {
		ps.add("rules.wash.min_duration", "%s is not 0 to 30m", r.MinDuration)
	}
}
