package serialport

import (
	"fmt"
	"io"
	"time"

	"go.bug.st/serial"
)

// Port is an open serial line. Read must come back after at most a short read timeout, with
// (0, nil) when nothing arrived, so that a Link notices cancellation and idleness; a port that
// blocks in Read still works, as a Link closes it to stop a session.
type Port interface {
	io.ReadWriteCloser
}

// Opener opens the port at path with the given line setting. It is how a serial backend plugs
// into a Link; tests pass their own.
type Opener func(path string, m Mode) (Port, error)

// readTimeout bounds each Read of a backend port, so that blocking reads above it can notice a
// cancelled context or an idle line.
const readTimeout = 100 * time.Millisecond

// OpenBugst opens path with go.bug.st/serial, the default backend. Bytes the port received before
// it was opened are dropped: a reader must never take an old weight for a current one.
func OpenBugst(path string, m Mode) (Port, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	sm := &serial.Mode{BaudRate: m.Baud, DataBits: m.dataBits()}
	switch m.Parity {
	case None:
		sm.Parity = serial.NoParity
	case Odd:
		sm.Parity = serial.OddParity
	case Even:
		sm.Parity = serial.EvenParity
	case Mark:
		sm.Parity = serial.MarkParity
	case Space:
		sm.Parity = serial.SpaceParity
	}
	switch m.StopBits {
	case One:
		sm.StopBits = serial.OneStopBit
	case OnePointFive:
		sm.StopBits = serial.OnePointFiveStopBits
	case Two:
		sm.StopBits = serial.TwoStopBits
	}
	p, err := serial.Open(path, sm)
	if err != nil {
		return nil, err
	}
	if err := p.SetReadTimeout(readTimeout); err != nil {
		p.Close()
		return nil, fmt.Errorf("set read timeout: %w", err)
	}
	if err := p.ResetInputBuffer(); err != nil {
		p.Close()
		return nil, fmt.Errorf("flush input: %w", err)
	}
	return p, nil
}
