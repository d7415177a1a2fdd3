package serialport

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tarm/serial"
)

// Backend names, as in lanes[].scale.backend.
const (
	BackendBugst = "bugst" // go.bug.st/serial, the default
	BackendTarm  = "tarm"  // github.com/tarm/serial, the alternate
)

// Backends lists the backend names.
var Backends = []string{BackendBugst, BackendTarm}

// Backend returns the Opener of a backend by name; "" is the default (bugst).
func Backend(name string) (Opener, error) {
	switch name {
	case "", BackendBugst:
		return OpenBugst, nil
	case BackendTarm:
		return OpenTarm, nil
	}
	return nil, fmt.Errorf("unknown serial backend %q (want %s or %s)", name, BackendBugst, BackendTarm)
}

// OpenTarm opens path with github.com/tarm/serial, the alternate backend. It supports none, odd
// and even parity and one or two stop bits (tarm cannot set mark, space or 1.5). As with
// OpenBugst, bytes received before the port was opened are dropped.
func OpenTarm(path string, m Mode) (Port, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	c := &serial.Config{Name: path, Baud: m.Baud, Size: byte(m.dataBits()), ReadTimeout: readTimeout}
	switch m.Parity {
	case None:
		c.Parity = serial.ParityNone
	case Odd:
		c.Parity = serial.ParityOdd
	case Even:
		c.Parity = serial.ParityEven
	default:
		return nil, fmt.Errorf("parity %s: not supported by the tarm backend", m.Parity)
	}
	switch m.StopBits {
	case One:
		c.StopBits = serial.Stop1
	case Two:
		c.StopBits = serial.Stop2
	default:
		return nil, fmt.Errorf("%s stop bits: not supported by the tarm backend", m.StopBits)
	}
	p, err := serial.OpenPort(c)
	if err != nil {
		return nil, err
	}
	if err := p.Flush(); err != nil {
		p.Close()
		return nil, fmt.Errorf("flush input: %w", err)
	}
	return tarmPort{p}, nil
}

// tarmPort turns tarm's read timeout, which os.File reports as io.EOF, into (0, nil) as the
// Port contract asks. An empty read that comes back well before the timeout is not a timeout
// but a hung-up line (a pty whose master closed, a tty whose modem dropped): that stays io.EOF.
type tarmPort struct{ p *serial.Port }

func (t tarmPort) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := t.p.Read(b)
	if n == 0 && errors.Is(err, io.EOF) {
		if time.Since(start) < readTimeout/2 {
			return 0, fmt.Errorf("line hung up: %w", io.EOF)
		}
		return 0, nil
	}
	return n, err
}

func (t tarmPort) Write(b []byte) (int, error) { return t.p.Write(b) }
func (t tarmPort) Close() error                { return t.p.Close() }
