package config

import (
	"slices"
	"strings"

	"sitegate/drivers/indicator"
	"sitegate/drivers/serialport"
)

// validateIndicator checks the serial backend, the poll timing, and the protocol's own settings
// through its Validate.
func validateIndicator(s Scale, sp string, ps *problems) {
	if !slices.Contains(serialport.Backends, s.Backend) {
		ps.add(sp+".backend", "%q is not %s", s.Backend, strings.Join(serialport.Backends, " or "))
	} else if s.Backend == serialport.BackendTarm && framingRe.MatchString(s.Framing) {
		if strings.ContainsAny(s.Framing[1:2], "MS") || strings.HasSuffix(s.Framing, "1.5") {
			ps.add(sp+".framing", "%q: the tarm backend cannot set mark or space parity or 1.5 stop bits (use backend bugst)", s.Framing)
		}
	}
	if s.PollInterval.D() < 20e6 {
		ps.add(sp+".poll_interval", "%s is too short (at least 20ms)", s.PollInterval)
	}
	if s.ReplyTimeout.D() < 10e6 {
		ps.add(sp+".reply_timeout", "%s is too short (at least 10ms)", s.ReplyTimeout)
	}
	if !slices.Contains(indicator.Units, indicator.Unit(s.Unit)) {
		ps.add(sp+".unit", "%q is not kg or t", s.Unit)
	}
	p, ok := indicator.Get(s.Protocol)
	if !ok {
		return // reported with the protocol
	}
	if p.UnitInFrame && s.Unit != "" && s.Unit != string(indicator.Kilogram) && slices.Contains(indicator.Units, indicator.Unit(s.Unit)) {
		ps.add(sp+".unit", "%s frames say their own unit; unit applies only to %s", s.Protocol, strings.Join(unitlessProtocols(), ", "))
	}
	if p.Validate != nil { // the protocol's own settings: its address, its block
		for _, pr := range p.Validate(s.IndicatorOptions()) {
			ps.add(joinPath(sp, pr.Path), "%s", pr.Msg)
		}
	}
	if p.Polled && s.SilenceTimeout.D() > 0 && s.ReplyTimeout.D() >= s.SilenceTimeout.D() {
		ps.add(sp+".reply_timeout", "%s must be shorter than silence_timeout (%s)", s.ReplyTimeout, s.SilenceTimeout)
	}
}

// unitlessProtocols names the protocols whose frames carry no unit, which scale.unit applies to.
func unitlessProtocols() []string {
	var out []string
	for _, p := range indicator.Protocols() {
		if !p.UnitInFrame {
			out = append(out, p.Name)
		}
	}
	return out
}
