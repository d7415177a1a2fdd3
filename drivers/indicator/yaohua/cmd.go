package yaohua

import (
	"bytes"
	"fmt"
	"io"

	"sitegate/drivers/indicator"
)

// ProtocolCmd is the scale.protocol name of the polled command mode of Yaohua XK3190 (A9, D9,
// DS3, ...) and Keli XK3118K9 indicators.
const ProtocolCmd = "yaohua-cmd"

func init() {
	indicator.Register(indicator.Protocol{
		Name:        ProtocolCmd,
		Summary:     "Yaohua XK3190 / Keli XK3118K9 polled command mode (STX addr cmd ... XOR ETX)",
		Polled:      true,
		Checksummed: true,
		Rank:        40,
		New:         func(r io.Reader, o indicator.Options) indicator.Decoder { return NewCmd(r, o) },
		Probe:       EncodeCmdRequest(DefaultAddress, CmdGross),
		Validate:    validateCmd,
		Emulate: func(addr byte) indicator.Speaker {
			if addr == 0 {
				addr = DefaultAddress
			}
			return indicator.Speaker{Answer: AnswerCmd(addr)}
		},
	})
}

// Commands of the command mode.
const (
	CmdHandshake = 'A'
	CmdGross     = 'B'
	CmdTare      = 'C'
	CmdNet       = 'D'
)

const (
	cmdReqLen   = 6  // STX addr cmd XORh XORl ETX
	cmdReplyLen = 14 // STX addr cmd sign value(7) XORh XORl ETX
)

// DefaultAddress is the address polled when none is configured.
const DefaultAddress = 'A'

// EncodeCmdRequest returns the request of cmd to the indicator at addr ('A' to 'Z'):
// STX addr cmd XORh XORl ETX, XOR over addr and cmd.
func EncodeCmdRequest(addr, cmd byte) []byte {
	x := addr ^ cmd
	return []byte{stx, addr, cmd, hexUpper[x>>4], hexUpper[x&0x0f], etx}
}

// ParseCmdRequest reads a request at the start of b; n is its length, ok false when b does not
// start with a valid request (or holds only part of one).
func ParseCmdRequest(b []byte) (addr, cmd byte, n int, ok bool) {
	if len(b) < cmdReqLen || b[0] != stx || b[5] != etx {
		return 0, 0, 0, false
	}
	x := b[1] ^ b[2]
	if b[1] < 'A' || b[1] > 'Z' || b[2] < 'A' || b[2] > 'I' || b[3] != hexUpper[x>>4] || b[4] != hexUpper[x&0x0f] {
		return 0, 0, 0, false
	}
	return b[1], b[2], cmdReqLen, true
}

// EncodeCmdReply returns the indicator's reply to cmd B, C or D: STX addr cmd sign, six digits
// most significant first, the number of decimal places (0 to 4), XORh XORl ETX, XOR over addr
// to dp. A handshake (A) gets STX addr A XORh XORl ETX.
func EncodeCmdReply(addr, cmd byte, kg float64, dp int) []byte {
	if cmd == CmdHandshake {
		return EncodeCmdRequest(addr, cmd)
	}
	t := EncodeTF0(kg, dp) // same sign, digits and dp as tF=0
	f := make([]byte, cmdReplyLen)
	f[0], f[1], f[2] = stx, addr, cmd
	copy(f[3:11], t[1:9])
	x := checksum(f[1:11])
	f[11], f[12], f[13] = hexUpper[x>>4], hexUpper[x&0x0f], etx
	return f
}

// validateCmd checks a lane's settings for the command mode: an address of one letter A to Z.
func validateCmd(o indicator.Options) []indicator.Problem {
	if a := o.Address; len(a) != 1 || a[0] < 'A' || a[0] > 'Z' {
		return []indicator.Problem{{Path: "address", Msg: fmt.Sprintf("%q is not an address A to Z", a)}}
	}
	return nil
}

// AnswerCmd returns an indicator's side of the command mode, for emulators: it answers the
// requests addressed to addr with B gross, D net (no tare, so the same), C tare (0) and the A
// handshake; requests to other addresses get no answer, as on a bus. The reply is in the
// shape of indicator.Speaker.Answer.
func AnswerCmd(addr byte) func(buf []byte, kg float64, motion bool) (reply []byte, used int) {
	return func(buf []byte, kg float64, _ bool) ([]byte, int) {
		if buf[0] != stx {
			i := bytes.IndexByte(buf, stx)
			if i < 0 {
				i = len(buf)
			}
			return nil, i
		}
		a, cmd, n, ok := ParseCmdRequest(buf)
		if !ok {
			if len(buf) < cmdReqLen {
				return nil, 0
			}
			return nil, 1
		}
		if a != addr {
			return nil, n
		}
		switch cmd {
		case CmdGross, CmdNet, CmdHandshake:
			return EncodeCmdReply(a, cmd, kg, 0), n
		case CmdTare:
			return EncodeCmdReply(a, cmd, 0, 0), n
		}
		return nil, n
	}
}

// NewCmd returns a decoder of command-mode replies. With opts.Writer it polls the gross weight
// (command B) of opts.Address (default A) every poll interval; without one it decodes replies
// only. Replies to B give gross readings, to D net readings (Net flag); tare and handshake
// replies, and replies from another address when one is configured, give none. The value is
// either six digits and a decimal-places digit (Yaohua) or seven characters with the point in
// place (Keli). No motion flag, and no unit: the value is in opts.Unit (kg by default).
func NewCmd(r io.Reader, opts indicator.Options) *indicator.Stream {
	addr := byte(DefaultAddress)
	only := byte(0)
	if len(opts.Address) == 1 {
		addr, only = opts.Address[0], opts.Address[0]
	}
	return indicator.NewStream(r, opts, indicator.StreamConfig{
		Parse:    inUnit(opts.Unit, func(b []byte) (int, indicator.Reading, indicator.Verdict) { return parseCmd(b, only) }),
		Poll:     EncodeCmdRequest(addr, CmdGross),
		MaxFrame: cmdReplyLen,
	})
}

func parseCmd(b []byte, only byte) (int, indicator.Reading, indicator.Verdict) {
	if b[0] != stx {
		i := bytes.IndexByte(b, stx)
		if i < 0 {
			i = len(b)
		}
		return i, indicator.Reading{}, indicator.Skip
	}
	if len(b) < 4 {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	addr, cmd := b[1], b[2]
	if addr < 'A' || addr > 'Z' || cmd < 'A' || cmd > 'I' {
		return 1, indicator.Reading{}, indicator.Bad
	}
	if b[3] != '+' && b[3] != '-' {
		// A handshake reply (or a request): STX addr cmd XORh XORl ETX.
		if len(b) < cmdReqLen {
			return 0, indicator.Reading{}, indicator.NeedMore
		}
		if _, _, n, ok := ParseCmdRequest(b); ok {
			return n, indicator.Reading{}, indicator.Empty
		}
		return 1, indicator.Reading{}, indicator.Bad
	}
	if len(b) < cmdReplyLen {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	f := b[:cmdReplyLen]
	x := checksum(f[1:11])
	if f[13] != etx || f[11] != hexUpper[x>>4] || f[12] != hexUpper[x&0x0f] {
		return 1, indicator.Reading{}, indicator.Bad
	}
	kg, ok := cmdValue(f[3:11])
	if !ok {
		return 1, indicator.Reading{}, indicator.Bad
	}
	if only != 0 && addr != only {
		return cmdReplyLen, indicator.Reading{}, indicator.Skip // another indicator on the bus
	}
	switch cmd {
	case CmdGross:
		return cmdReplyLen, indicator.Reading{Kg: kg}, indicator.Frame
	case CmdNet:
		return cmdReplyLen, indicator.Reading{Kg: kg, Flags: indicator.Net}, indicator.Frame
	}
	return cmdReplyLen, indicator.Reading{}, indicator.Empty
}

// cmdValue reads sign and seven characters: six digits and dp, or a value with its point.
func cmdValue(v []byte) (float64, bool) {
	if v[0] != '+' && v[0] != '-' {
		return 0, false
	}
	if bytes.IndexByte(v[1:], '.') >= 0 {
		if v[1] == '.' || v[7] == '.' {
			return 0, false
		}
		return indicator.ParseDecimal(v)
	}
	n := 0
	for _, c := range v[1:7] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if v[7] < '0' || v[7] > '0'+maxDP {
		return 0, false
	}
	kg := float64(n) / pow10[v[7]-'0']
	if v[0] == '-' && n != 0 {
		kg = -kg
	}
	return kg, true
}
