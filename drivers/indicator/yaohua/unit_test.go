package yaohua

import (
	"io"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

// TestUnitTonnes: an indicator set to tonnes sends 031200 with dp 3 for a 31.2 t truck; with
// unit t the protocols whose frames carry no unit read 31200 kg, and with the default (kg, or
// no unit) the same frame is 31.2 kg as before.
func TestUnitTonnes(t *testing.T) {
	tf0 := frame('+', "031200", '3')
	cases := []struct {
		name  string
		new   func(io.Reader, indicator.Options) indicator.Decoder
		in    []byte
		t, kg float64 // the reading with unit t, and with the default
	}{
		{ProtocolTF0, NewTF0, tf0, 31200, 31.2},
		{"tf0 negative", NewTF0, frame('-', "000450", '2'), -4500, -4.5},
		{ProtocolEq, func(r io.Reader, o indicator.Options) indicator.Decoder { return NewEq(r, o, true) }, s("=002.1300"), 31200, 31.2},
		{ProtocolEqForward, func(r io.Reader, o indicator.Options) indicator.Decoder { return NewEq(r, o, false) }, s("=0031.200"), 31200, 31.2},
		{ProtocolCmd, func(r io.Reader, o indicator.Options) indicator.Decoder { return NewCmd(r, o) }, cmdReply("AB+0312003"), 31200, 31.2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, u := range []struct {
				unit indicator.Unit
				want float64
			}{{indicator.Tonne, c.t}, {indicator.Kilogram, c.kg}, {"", c.kg}} {
				indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return c.new(r, indicator.Options{Unit: u.unit}) },
					[]indicatortest.Case{{Name: "unit " + string(u.unit), In: c.in, Want: []rd{{Kg: u.want}}}})
			}
		})
	}
}
