// Package serialport opens serial lines and keeps them open: a Link owns one port for a lane,
// reopens it with backoff when it fails (a USB adapter unplugged, a cable pulled) and hands each
// open port to a session as a blocking reader.
//
// Backends sit behind the Opener type: go.bug.st/serial (the default) and github.com/tarm/serial;
// WithUSB resolves usb:VID:PID[:SERIAL] ports at every open. This package knows
// nothing of what travels on the line; it must not import sitegate/models, sitegate/agent or any
// protocol package.
package serialport

import (
	"fmt"
	"strings"
)

// Parity is the parity bit setting of a serial line.
type Parity int

// Parity settings. The zero value is None.
const (
	None Parity = iota
	Odd
	Even
	Mark
	Space
)

// String returns the framing letter: N, O, E, M or S.
func (p Parity) String() string {
	switch p {
	case None:
		return "N"
	case Odd:
		return "O"
	case Even:
		return "E"
	case Mark:
		return "M"
	case Space:
		return "S"
	}
	return fmt.Sprintf("Parity(%d)", int(p))
}

// StopBits is the number of stop bits of a serial line.
type StopBits int

// Stop bit settings. The zero value is One.
const (
	One StopBits = iota
	OnePointFive
	Two
)

// String returns "1", "1.5" or "2".
func (s StopBits) String() string {
	switch s {
	case One:
		return "1"
	case OnePointFive:
		return "1.5"
	case Two:
		return "2"
	}
	return fmt.Sprintf("StopBits(%d)", int(s))
}

// Mode is the line setting of a port. DataBits 0 means 8.
type Mode struct {
	Baud     int
	DataBits int
	Parity   Parity
	StopBits StopBits
}

// String returns the setting as "9600 8N1".
func (m Mode) String() string {
	return fmt.Sprintf("%d %d%s%s", m.Baud, m.dataBits(), m.Parity, m.StopBits)
}

func (m Mode) dataBits() int {
	if m.DataBits == 0 {
		return 8
	}
	return m.DataBits
}

// Validate reports a setting no UART supports.
func (m Mode) Validate() error {
	if m.Baud <= 0 {
		return fmt.Errorf("baud %d is not positive", m.Baud)
	}
	if d := m.dataBits(); d < 5 || d > 8 {
		return fmt.Errorf("%d data bits: want 5 to 8", d)
	}
	if m.Parity < None || m.Parity > Space {
		return fmt.Errorf("unknown parity %d", int(m.Parity))
	}
	if m.StopBits < One || m.StopBits > Two {
		return fmt.Errorf("unknown stop bits %d", int(m.StopBits))
	}
	return nil
}

// ParseFraming parses the usual short form of a line's framing: data bits (5 to 8), a parity
// letter (N, O, E, M or S, either case) and stop bits (1, 1.5 or 2), as in "8N1", "7E1", "8N2".
func ParseFraming(s string) (dataBits int, parity Parity, stop StopBits, err error) {
	bad := func(why string) (int, Parity, StopBits, error) {
		return 0, None, One, fmt.Errorf("framing %q: %s (want e.g. 8N1, 7E1)", s, why)
	}
	if len(s) < 3 {
		return bad("too short")
	}
	if s[0] < '5' || s[0] > '8' {
		return bad("data bits must be 5 to 8")
	}
	dataBits = int(s[0] - '0')
	switch strings.ToUpper(s[1:2]) {
	case "N":
		parity = None
	case "O":
		parity = Odd
	case "E":
		parity = Even
	case "M":
		parity = Mark
	case "S":
		parity = Space
	default:
		return bad("parity must be N, O, E, M or S")
	}
	switch s[2:] {
	case "1":
		stop = One
	case "1.5":
		stop = OnePointFive
	case "2":
		stop = Two
	default:
		return bad("stop bits must be 1, 1.5 or 2")
	}
	return dataBits, parity, stop, nil
}
