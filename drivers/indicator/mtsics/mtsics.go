// Package mtsics decodes MT-SICS, the Mettler Toledo Standard Interface Command Set, as far as
// weighing goes: it polls with SI (or S) and reads the S replies. It registers "mt-sics" with
// sitegate/drivers/indicator.
//
// It must not import sitegate/models or sitegate/agent.
package mtsics

import (
	"bytes"
	"io"
	"math"
	"strconv"

	"sitegate/drivers/indicator"
)

// Protocol is the scale.protocol name of MT-SICS.
const Protocol = "mt-sics"

func init() {
	indicator.Register(indicator.Protocol{
		Name:        Protocol,
		Summary:     "Mettler Toledo MT-SICS, polled with SI (S S / S D replies)",
		Polled:      true,
		UnitInFrame: true, // each reply ends in its unit
		Rank:        50,   // no checksum, but a reply to our own request
		New:         func(r io.Reader, o indicator.Options) indicator.Decoder { return New(r, o) },
		Probe:       RequestImmediate,
		Emulate:     func(byte) indicator.Speaker { return indicator.Speaker{Answer: Answer} },
	})
}

// Requests.
var (
	RequestImmediate = []byte("SI\r\n") // the current weight, stable or not
	RequestStable    = []byte("S\r\n")  // the next stable weight
)

const maxLine = 64

// New returns an MT-SICS decoder. With opts.Writer it sends SI every poll interval. Replies
// "S S value unit" give stable readings (MotionKnown), "S D value unit" readings in motion,
// "S +" and "S -" Overload and Underload readings; "S I" (busy) and error replies (ES, ET, EL,
// "S L") give none. Weights in g, t or lb are converted to kg; other units are bad frames. The
// same lines sent continuously (SIR) decode as well.
func New(r io.Reader, opts indicator.Options) *indicator.Stream {
	return indicator.NewStream(r, opts, indicator.StreamConfig{Parse: parse, Poll: RequestImmediate, MaxFrame: maxLine})
}

func parse(b []byte) (int, indicator.Reading, indicator.Verdict) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	n := i + 1
	line := b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 {
		return n, indicator.Reading{}, indicator.Skip
	}
	if line[0] == ' ' { // replies start in the first column
		return n, indicator.Reading{}, indicator.Bad
	}
	f0, rest := field(line)
	switch string(f0) {
	case "ES", "ET", "EL":
		if len(bytes.TrimSpace(rest)) == 0 {
			return n, indicator.Reading{}, indicator.Empty
		}
		return n, indicator.Reading{}, indicator.Bad
	case "S", "SI", "SIR":
	default:
		return n, indicator.Reading{}, indicator.Bad
	}
	status, rest := field(rest)
	if len(status) != 1 {
		return n, indicator.Reading{}, indicator.Bad
	}
	switch status[0] {
	case 'I', 'L':
		return n, indicator.Reading{}, indicator.Empty
	case '+':
		return n, indicator.Reading{Flags: indicator.MotionKnown | indicator.Overload}, indicator.Frame
	case '-':
		return n, indicator.Reading{Flags: indicator.MotionKnown | indicator.Underload}, indicator.Frame
	case 'S', 'D':
	default:
		return n, indicator.Reading{}, indicator.Bad
	}
	value, rest := field(rest)
	if len(value) == 1 && (value[0] == '-' || value[0] == '+') { // "- 12.5": sign apart
		var v2 []byte
		v2, rest = field(rest)
		if len(v2) == 0 || v2[0] == '-' || v2[0] == '+' {
			return n, indicator.Reading{}, indicator.Bad
		}
		kg, ok := indicator.ParseDecimal(v2)
		if !ok {
			return n, indicator.Reading{}, indicator.Bad
		}
		if value[0] == '-' {
			kg = -kg
		}
		return finish(n, kg, status[0], rest)
	}
	kg, ok := indicator.ParseDecimal(value)
	if !ok {
		return n, indicator.Reading{}, indicator.Bad
	}
	return finish(n, kg, status[0], rest)
}

func finish(n int, v float64, status byte, rest []byte) (int, indicator.Reading, indicator.Verdict) {
	unit, rest := field(rest)
	if len(bytes.TrimSpace(rest)) != 0 {
		return n, indicator.Reading{}, indicator.Bad
	}
	f, ok := indicator.UnitKg(string(unit))
	if !ok {
		return n, indicator.Reading{}, indicator.Bad
	}
	flags := indicator.MotionKnown
	if status == 'D' {
		flags |= indicator.Motion
	}
	kg := v * f
	if kg == 0 {
		kg = 0 // no -0
	}
	return n, indicator.Reading{Kg: kg, Flags: flags}, indicator.Frame
}

// field returns the first space-separated field of b and what follows it.
func field(b []byte) (f, rest []byte) {
	b = bytes.TrimLeft(b, " ")
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i:]
}

// Answer is a balance's side of MT-SICS, for emulators: SI gets the current weight (S D while it
// moves), S a stable weight or "S I" while it moves, an empty line nothing, anything else
// "ES". It is in the shape of indicator.Speaker.Answer.
func Answer(buf []byte, kg float64, motion bool) (reply []byte, used int) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) > maxLine {
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
		return EncodeReply(kg, 0, flags), i + 1
	case "S":
		if motion {
			return []byte("S I\r\n"), i + 1
		}
		return EncodeReply(kg, 0, 0), i + 1
	case "":
		return nil, i + 1
	}
	return []byte("ES\r\n"), i + 1
}

// EncodeReply returns the reply line of a balance to SI: "S S" (or "S D" in motion), the value
// right-aligned in ten characters with dp decimals, the unit, CR LF. Overload and Underload in
// flags give "S +" and "S -".
func EncodeReply(kg float64, dp int, flags indicator.Flags) []byte {
	switch {
	case flags&indicator.Overload != 0:
		return []byte("S +\r\n")
	case flags&indicator.Underload != 0:
		return []byte("S -\r\n")
	}
	st := byte('S')
	if flags&indicator.Motion != 0 {
		st = 'D'
	}
	v := formatValue(kg, dp)
	out := make([]byte, 0, 24)
	out = append(out, 'S', ' ', st, ' ')
	for range 10 - len(v) {
		out = append(out, ' ')
	}
	out = append(out, v...)
	return append(out, " kg\r\n"...)
}

// formatValue writes kg with dp decimals (0 to 4); NaN writes 0.
func formatValue(kg float64, dp int) []byte {
	dp = min(max(dp, 0), 4)
	if math.IsNaN(kg) {
		kg = 0
	}
	kg = max(min(kg, 9999999), -999999)
	b := strconv.AppendFloat(nil, kg, 'f', dp, 64)
	if v, _ := strconv.ParseFloat(string(b), 64); v == 0 && b[0] == '-' {
		b = b[1:]
	}
	return b
}
