package indicatoremu

import (
	"fmt"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all" // the emulator speaks every registered protocol
)

// Speaker is how the emulator talks one protocol: the protocol's own indicator.Speaker (Encode
// for a continuous output, Answer for a polled one), from its registration. Apply puts it into
// Options.
type Speaker struct {
	Protocol string
	indicator.Speaker
}

// Apply sets o's encoder or responder to the speaker's.
func (s Speaker) Apply(o *Options) {
	if s.Answer != nil {
		o.Answer = s.Answer
		return
	}
	o.EncodeMotion = s.Encode
}

// Polled reports whether the protocol answers requests rather than streaming.
func (s Speaker) Polled() bool { return s.Answer != nil }

// ForProtocol returns the speaker of a scale.protocol name; addr is a polled indicator's own
// address (0 means the protocol's default).
func ForProtocol(name string, addr byte) (Speaker, error) {
	p, ok := indicator.Get(name)
	if !ok || p.Emulate == nil {
		return Speaker{}, fmt.Errorf("indicator emulator: no emulation of protocol %q (have %v)", name, Protocols())
	}
	return Speaker{Protocol: name, Speaker: p.Emulate(addr)}, nil
}

// Protocols lists the protocols the emulator speaks: every registered one with an emulation.
func Protocols() []string {
	var out []string
	for _, p := range indicator.Protocols() {
		if p.Emulate != nil {
			out = append(out, p.Name)
		}
	}
	return out
}
