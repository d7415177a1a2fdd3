package modbus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Table is the data table a bit is read from.
type Table byte

// Tables, by the function code that reads them.
const (
	Coils          Table = 0x01
	DiscreteInputs Table = 0x02
)

func (t Table) String() string {
	switch t {
	case Coils:
		return "coil"
	case DiscreteInputs:
		return "discrete"
	}
	return fmt.Sprintf("table(%d)", byte(t))
}

// ParseTable reads a table's name: coil or discrete.
func ParseTable(s string) (Table, error) {
	switch s {
	case "coil":
		return Coils, nil
	case "discrete":
		return DiscreteInputs, nil
	}
	return 0, fmt.Errorf("%q is not a Modbus bit table (coil, discrete)", s)
}

// MaxBits is the most bits one read may ask for (the protocol's limit).
const MaxBits = 2000

// ExceptionError is a device's exception response.
type ExceptionError struct {
	Function, Code byte
}

func (e *ExceptionError) Error() string {
	names := map[byte]string{1: "illegal function", 2: "illegal data address", 3: "illegal data value",
		4: "server device failure", 6: "server device busy", 10: "gateway path unavailable", 11: "gateway target failed to respond"}
	n := names[e.Code]
	if n == "" {
		n = "exception"
	}
	return fmt.Sprintf("modbus function 0x%02x: %s (code %d)", e.Function, n, e.Code)
}

// ErrFrame is wrapped by every error about a malformed or mismatched response.
var ErrFrame = errors.New("modbus: bad response")

// Request builds the ADU (MBAP header and PDU) that reads n bits of table from addr.
func Request(tid uint16, unit byte, t Table, addr, n uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], tid)
	binary.BigEndian.PutUint16(b[2:], 0) // protocol: Modbus
	binary.BigEndian.PutUint16(b[4:], 6) // unit + function + 4 bytes
	b[6] = unit
	b[7] = byte(t)
	binary.BigEndian.PutUint16(b[8:], addr)
	binary.BigEndian.PutUint16(b[10:], n)
	return b
}

// ReadADU reads one ADU from r: the 7-byte MBAP header and the PDU its length names (at most
// 253 bytes, as the protocol allows).
func ReadADU(r io.Reader) ([]byte, error) {
	hdr := make([]byte, 7, 7+253)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	l := int(binary.BigEndian.Uint16(hdr[4:]))
	if l < 2 || l > 254 {
		return nil, fmt.Errorf("%w: length %d", ErrFrame, l)
	}
	b := hdr[:7+l-1]
	if _, err := io.ReadFull(r, b[7:]); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseBits checks a response ADU against its request (transaction, protocol, unit, function,
// byte count) and returns its n bits, or the device's exception.
func ParseBits(adu []byte, tid uint16, unit byte, t Table, n uint16) ([]bool, error) {
	if len(adu) < 9 {
		return nil, fmt.Errorf("%w: %d bytes", ErrFrame, len(adu))
	}
	if got := binary.BigEndian.Uint16(adu[0:]); got != tid {
		return nil, fmt.Errorf("%w: transaction %d, want %d", ErrFrame, got, tid)
	}
	if p := binary.BigEndian.Uint16(adu[2:]); p != 0 {
		return nil, fmt.Errorf("%w: protocol %d", ErrFrame, p)
	}
	if l := int(binary.BigEndian.Uint16(adu[4:])); l != len(adu)-6 {
		return nil, fmt.Errorf("%w: length %d for %d bytes", ErrFrame, l, len(adu)-6)
	}
	if adu[6] != unit {
		return nil, fmt.Errorf("%w: unit %d, want %d", ErrFrame, adu[6], unit)
	}
	fn := adu[7]
	if fn == byte(t)|0x80 {
		return nil, &ExceptionError{Function: byte(t), Code: adu[8]}
	}
	if fn != byte(t) {
		return nil, fmt.Errorf("%w: function 0x%02x, want 0x%02x", ErrFrame, fn, byte(t))
	}
	want := (int(n) + 7) / 8
	if int(adu[8]) != want || len(adu) != 9+want {
		return nil, fmt.Errorf("%w: %d data bytes (count %d), want %d", ErrFrame, len(adu)-9, adu[8], want)
	}
	bits := make([]bool, n)
	for i := range bits {
		bits[i] = adu[9+i/8]&(1<<(i%8)) != 0
	}
	return bits, nil
}

// Client reads bits from one Modbus TCP device. It keeps one connection, dialled on first use
// and again after any error. Safe for concurrent use (reads are serialised).
type Client struct {
	Addr    string
	Unit    byte
	Timeout time.Duration // per request; 0 means 2 s
	// Dial makes the connection; nil uses net.Dialer.
	Dial func(ctx context.Context, addr string) (net.Conn, error)

	mu   sync.Mutex
	conn net.Conn
	tid  uint16
}

// ReadBits reads n bits of table t from addr.
func (c *Client) ReadBits(ctx context.Context, t Table, addr, n uint16) ([]bool, error) {
	if n == 0 || n > MaxBits {
		return nil, fmt.Errorf("modbus: %d bits asked (1 to %d)", n, MaxBits)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if c.conn == nil {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		conn, err := c.dial(dctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("modbus %s: %w", c.Addr, err)
		}
		c.conn = conn
	}
	c.tid++
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.conn.SetDeadline(deadline)
	bits, err := c.roundTrip(t, addr, n)
	var ex *ExceptionError
	if err != nil && !errors.As(err, &ex) {
		// A broken or desynchronised connection is not reused.
		c.conn.Close()
		c.conn = nil
	}
	if err != nil {
		return nil, fmt.Errorf("modbus %s unit %d %s %d: %w", c.Addr, c.Unit, t, addr, err)
	}
	return bits, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	if c.Dial != nil {
		return c.Dial(ctx, c.Addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", c.Addr)
}

func (c *Client) roundTrip(t Table, addr, n uint16) ([]bool, error) {
	if _, err := c.conn.Write(Request(c.tid, c.Unit, t, addr, n)); err != nil {
		return nil, err
	}
	adu, err := ReadADU(c.conn)
	if err != nil {
		return nil, err
	}
	return ParseBits(adu, c.tid, c.Unit, t, n)
}

// Close drops the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}
