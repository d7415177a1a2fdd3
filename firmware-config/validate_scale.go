package config

import (
	"regexp"
	"slices"
	"strings"

	"sitegate/drivers/indicator"
	"sitegate/drivers/serialport"
)

// validateIndicator checks the serial backend and the settings of polled and ascii protocols.
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
	if p, _ := indicator.Get(s.Protocol); p.Polled {
		if s.Protocol == "yaohua-cmd" && (len(s.Address) != 1 || s.Address[0] < 'A' || s.Address[0] > 'Z') {
			ps.add(sp+".address", "%q is not an address A to Z", s.Address)
		}
		if s.SilenceTimeout.D() > 0 && s.ReplyTimeout.D() >= s.SilenceTimeout.D() {
			ps.add(sp+".reply_timeout", "%s must be shorter than silence_timeout (%s)", s.ReplyTimeout, s.SilenceTimeout)
		}
	}
	if s.Protocol == "ascii" {
		a := s.ASCII
		ap := sp + ".ascii"
		if a.Pattern == "" {
			ps.add(ap+".pattern", "must be set for protocol ascii (a regular expression with (?P<w>...) around the weight)")
		} else if re, err := regexp.Compile(a.Pattern); err != nil {
			ps.add(ap+".pattern", "%v", err)
		} else if re.SubexpIndex("w") < 0 {
			ps.add(ap+".pattern", "%q has no group named w, as in (?P<w>[0-9.]+)", a.Pattern)
		}
		if a.Scale <= 0 {
			ps.add(ap+".scale", "%g must be above 0", a.Scale)
		}
		if _, ok := indicator.UnitKg(a.Unit); !ok {
			ps.add(ap+".unit", "%q is not kg, g, t or lb", a.Unit)
		}
		if a.Terminator == "" {
			ps.add(ap+".terminator", "must not be empty")
		}
	}
}

// IndicatorOptions turns a lane's scale settings into the decoder options of its protocol
// (everything but the clock and the port's writer).
func (s Scale) IndicatorOptions() indicator.Options {
	return indicator.Options{
		Address: s.Address, PollInterval: s.PollInterval.D(), ReplyTimeout: s.ReplyTimeout.D(),
		ASCII: indicator.ASCII{Pattern: s.ASCII.Pattern, Reverse: s.ASCII.Reverse, Scale: s.ASCII.Scale,
			Unit: s.ASCII.Unit, Terminator: s.ASCII.Terminator},
	}
}
