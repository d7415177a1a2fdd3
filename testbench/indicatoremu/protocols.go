package indicatoremu

import (
	"bytes"
	"fmt"
	"sort"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/mtsics"
	"sitegate/drivers/indicator/toledo"
	"sitegate/drivers/indicator/yaohua"
)

// Speaker is how the emulator talks one protocol: Encode for a continuous output, Answer for a
// polled one. Apply puts it into Options.
type Speaker struct {
	Protocol string
	Encode   func(kg float64, motion bool) []byte
	Answer   func(buf []byte, kg float64, motion bool) (reply []byte, used int)
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

var speakers = map[string]func(addr byte) Speaker{
	yaohua.ProtocolTF0: func(byte) Speaker {
		return Speaker{Encode: func(kg float64, _ bool) []byte { return yaohua.EncodeTF0(kg, 0) }}
	},
	yaohua.ProtocolEq: func(byte) Speaker {
		return Speaker{Encode: func(kg float64, _ bool) []byte { return yaohua.EncodeEq(kg, 0, true) }}
	},
	yaohua.ProtocolEqForward: func(byte) Speaker {
		return Speaker{Encode: func(kg float64, _ bool) []byte { return yaohua.EncodeEq(kg, 0, false) }}
	},
	yaohua.ProtocolA12E: func(byte) Speaker {
		return Speaker{Encode: func(kg float64, _ bool) []byte { return yaohua.EncodeA12E(kg, 0, 0) }}
	},
	// The ascii emulator speaks the example profile, the Keli XK3118T1's reversed "=" lines.
	"ascii": func(byte) Speaker {
		return Speaker{Encode: func(kg float64, _ bool) []byte { return yaohua.EncodeEq(kg, 0, true) }}
	},
	toledo.Protocol: func(byte) Speaker {
		return Speaker{Encode: func(kg float64, motion bool) []byte {
			f := toledo.Frame{Kg: kg, Increment: 2}
			if motion {
				f.Flags = indicator.Motion
			}
			return toledo.EncodeFrame(f)
		}}
	},
	yaohua.ProtocolCmd: func(addr byte) Speaker { return Speaker{Answer: cmdAnswer(addr)} },
	mtsics.Protocol:    func(byte) Speaker { return Speaker{Answer: sicsAnswer} },
}

// ForProtocol returns the speaker of a scale.protocol name; addr is a polled indicator's own
// address (0 means A).
func ForProtocol(name string, addr byte) (Speaker, error) {
	f, ok := speakers[name]
	if !ok {
		return Speaker{}, fmt.Errorf("indicator emulator: no emulation of protocol %q (have %v)", name, Protocols())
	}
	if addr == 0 {
		addr = yaohua.DefaultAddress
	}
	s := f(addr)
	s.Protocol = name
	return s, nil
}

// Protocols lists the protocols the emulator speaks.
func Protocols() []string {
	var out []string
	for n := range speakers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// cmdAnswer answers command-mode requests addressed to addr: B gross, D net (no tare, so the
// same), C tare (0), A handshake; requests to other addresses get no answer, as on a bus.
func cmdAnswer(addr byte) func(buf []byte, kg float64, motion bool) ([]byte, int) {
	return func(buf []byte, kg float64, _ bool) ([]byte, int) {
		if buf[0] != 0x02 {
			i := bytes.IndexByte(buf, 0x02)
			if i < 0 {
				i = len(buf)
			}
			return nil, i
		}
		a, cmd, n, ok := yaohua.ParseCmdRequest(buf)
		if !ok {
			if len(buf) < 6 {
				return nil, 0
			}
			return nil, 1
		}
		if a != addr {
			return nil, n
		}
		switch cmd {
		case yaohua.CmdGross, yaohua.CmdNet, yaohua.CmdHandshake:
			return yaohua.EncodeCmdReply(a, cmd, kg, 0), n
		case yaohua.CmdTare:
			return yaohua.EncodeCmdReply(a, cmd, 0, 0), n
		}
		return nil, n
	}
}

// sicsAnswer answers MT-SICS lines: SI with the current weight (S D while it moves), S with a
// stable weight or "S I" while it moves, anything else "ES".
func sicsAnswer(buf []byte, kg float64, motion bool) ([]byte, int) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) > 64 {
			return nil, len(buf)
		}
		return nil, 0
	}
	cmd := string(bytes.TrimSpace(buf[:i]))
	var flags indicator.Flags
	if motion {
		flags = indicator.Motion
	}
	switch cmd {
	case "SI":
		return mtsics.EncodeReply(kg, 0, flags), i + 1
	case "S":
		if motion {
			return []byte("S I\r\n"), i + 1
		}
		return mtsics.EncodeReply(kg, 0, 0), i + 1
	case "":
		return nil, i + 1
	}
	return []byte("ES\r\n"), i + 1
}
