// Package modbusemu is a Modbus TCP device for tests and the bench: a wash-bay controller whose
// discrete inputs and coils a test sets, serving function codes 0x01 and 0x02, with faults
// (silence, dropped connections, exception answers).
package modbusemu

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"sitegate/drivers/modbus"
)

// Device is a running emulated device.
type Device struct {
	ln   net.Listener
	Unit byte

	mu    sync.Mutex
	bits  map[modbus.Table][]bool
	conns map[net.Conn]bool

	// Silent makes the device read requests and answer none (a hung controller).
	Silent atomic.Bool
	// Exception, when not 0, is the exception code every request is answered with.
	Exception atomic.Uint32
	// Requests counts the requests read.
	Requests atomic.Uint64

	wg sync.WaitGroup
}

// Start serves a device with 64 bits in each table on a loopback port.
func Start(unit byte) (*Device, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Device{ln: ln, Unit: unit, conns: map[net.Conn]bool{},
		bits: map[modbus.Table][]bool{modbus.Coils: make([]bool, 64), modbus.DiscreteInputs: make([]bool, 64)}}
	d.wg.Add(1)
	go d.serve()
	return d, nil
}

// Addr is the device's host:port.
func (d *Device) Addr() string { return d.ln.Addr().String() }

// Set sets one bit.
func (d *Device) Set(t modbus.Table, addr int, on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bits[t][addr] = on
}

// DropConnections closes every open connection (a controller rebooting, a cable pulled).
func (d *Device) DropConnections() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		c.Close()
	}
}

// Close stops the device.
func (d *Device) Close() error {
	err := d.ln.Close()
	d.DropConnections()
	d.wg.Wait()
	return err
}

func (d *Device) serve() {
	defer d.wg.Done()
	for {
		c, err := d.ln.Accept()
		if err != nil {
			return
		}
		d.mu.Lock()
		d.conns[c] = true
		d.mu.Unlock()
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer func() {
				d.mu.Lock()
				delete(d.conns, c)
				d.mu.Unlock()
				c.Close()
			}()
			for {
				if err := d.answer(c); err != nil {
					return
				}
			}
		}()
	}
}

var errBad = errors.New("bad request")

func (d *Device) answer(c net.Conn) error {
	adu, err := modbus.ReadADU(c)
	if err != nil {
		return err
	}
	d.Requests.Add(1)
	if len(adu) != 12 {
		return errBad
	}
	if d.Silent.Load() {
		return nil
	}
	fn := adu[7]
	t := modbus.Table(fn)
	addr, n := int(binary.BigEndian.Uint16(adu[8:])), int(binary.BigEndian.Uint16(adu[10:]))
	resp := []byte{adu[0], adu[1], 0, 0, 0, 0, adu[6]}
	d.mu.Lock()
	table, ok := d.bits[t]
	var pdu []byte
	switch {
	case d.Exception.Load() != 0:
		pdu = []byte{fn | 0x80, byte(d.Exception.Load())}
	case !ok:
		pdu = []byte{fn | 0x80, 1}
	case n < 1 || n > modbus.MaxBits || addr+n > len(table):
		pdu = []byte{fn | 0x80, 2}
	default:
		data := make([]byte, (n+7)/8)
		for i := 0; i < n; i++ {
			if table[addr+i] {
				data[i/8] |= 1 << (i % 8)
			}
		}
		pdu = append([]byte{fn, byte(len(data))}, data...)
	}
	d.mu.Unlock()
	resp = append(resp, pdu...)
	binary.BigEndian.PutUint16(resp[4:], uint16(1+len(pdu)))
	_, err = c.Write(resp)
	return err
}
