package modbus_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/modbus"
	"sitegate/testbench/modbusemu"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The worked examples of the Modbus Application Protocol Specification V1.1b3 (sections 6.1
// and 6.2), wrapped in the MBAP header of the Modbus Messaging on TCP/IP Implementation Guide.
var cases = []struct {
	name  string
	t     modbus.Table
	addr  uint16
	n     uint16
	req   string // the PDU the spec shows
	resp  string // the response ADU
	want  string // the bits, 1/0
	error string
}{
	{"spec read coils 20-38", modbus.Coils, 0x13, 19, "01 0013 0013", "0001 0000 0006 11 01 03 CD6B05", "1011001111010110101", ""},
	{"spec read discrete inputs 197-218", modbus.DiscreteInputs, 0xC4, 22, "02 00C4 0016", "0001 0000 0006 11 02 03 ACDB35", "0011010111011011101011", ""},
	{"exception", modbus.DiscreteInputs, 0, 1, "02 0000 0001", "0001 0000 0003 11 82 02", "", "illegal data address"},
	{"wrong transaction", modbus.DiscreteInputs, 0, 1, "02 0000 0001", "0002 0000 0004 11 02 01 01", "", "transaction"},
	{"wrong unit", modbus.DiscreteInputs, 0, 1, "02 0000 0001", "0001 0000 0004 12 02 01 01", "", "unit"},
	{"wrong function", modbus.DiscreteInputs, 0, 1, "02 0000 0001", "0001 0000 0004 11 01 01 01", "", "function"},
	{"short data", modbus.DiscreteInputs, 0, 9, "02 0000 0009", "0001 0000 0004 11 02 01 01", "", "data bytes"},
	{"not modbus", modbus.DiscreteInputs, 0, 1, "02 0000 0001", "0001 0001 0004 11 02 01 01", "", "protocol"},
}

func compact(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func TestSpecExamples(t *testing.T) {
	for _, c := range cases {
		req := modbus.Request(1, 0x11, c.t, c.addr, c.n)
		if got, want := hex.EncodeToString(req[7:]), strings.ToLower(compact(c.req)); got != want {
			t.Errorf("%s: request PDU %s, want %s", c.name, got, want)
		}
		adu, err := modbus.ReadADU(bytes.NewReader(unhex(compact(c.resp))))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		bits, err := modbus.ParseBits(adu, 1, 0x11, c.t, c.n)
		if c.error != "" {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.error)) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.error)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ""
		for _, b := range bits {
			got += map[bool]string{true: "1", false: "0"}[b]
		}
		if got != c.want {
			t.Errorf("%s: bits %s, want %s", c.name, got, c.want)
		}
	}
}

func FuzzParseBits(f *testing.F) {
	for _, c := range cases {
		f.Add(unhex(compact(c.resp)), uint16(c.n))
	}
	f.Fuzz(func(t *testing.T, b []byte, n uint16) {
		adu, err := modbus.ReadADU(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(adu) > 7+253 {
			t.Fatalf("ADU of %d bytes", len(adu))
		}
		n = n%modbus.MaxBits + 1
		bits, err := modbus.ParseBits(adu, 1, 0x11, modbus.DiscreteInputs, n)
		if err == nil && len(bits) != int(n) {
			t.Fatalf("%d bits for %d asked", len(bits), n)
		}
	})
}

func TestClientAgainstDevice(t *testing.T) {
	d, err := modbusemu.Start(3)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := &modbus.Client{Addr: d.Addr(), Unit: 3, Timeout: 2 * time.Second}
	defer c.Close()
	ctx := context.Background()
	read := func() bool {
		t.Helper()
		b, err := c.ReadBits(ctx, modbus.DiscreteInputs, 5, 1)
		if err != nil {
			t.Fatal(err)
		}
		return b[0]
	}
	if read() {
		t.Fatal("bit 5 set before it was")
	}
	d.Set(modbus.DiscreteInputs, 5, true)
	if !read() {
		t.Fatal("bit 5 not read as set")
	}
	// A dropped connection is dialled again on the next read.
	d.DropConnections()
	for i := 0; ; i++ {
		if _, err := c.ReadBits(ctx, modbus.DiscreteInputs, 5, 1); err == nil {
			break
		} else if i > 3 {
			t.Fatalf("no reconnect after a dropped connection: %v", err)
		}
	}
	// An exception is the device's answer, with its code.
	d.Exception.Store(4)
	_, err = c.ReadBits(ctx, modbus.Coils, 0, 1)
	var ex *modbus.ExceptionError
	if !errors.As(err, &ex) || ex.Code != 4 {
		t.Fatalf("exception: %v", err)
	}
	d.Exception.Store(0)
	// A silent device times out instead of hanging.
	d.Silent.Store(true)
	c.Timeout = 200 * time.Millisecond
	if _, err := c.ReadBits(ctx, modbus.Coils, 0, 1); err == nil {
		t.Fatal("a silent device answered")
	}
	d.Silent.Store(false)
	if !read() {
		t.Fatal("after a timeout the client did not recover")
	}
}
