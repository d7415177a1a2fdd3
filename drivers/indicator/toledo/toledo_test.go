package toledo

import (
	"bytes"
	"io"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

type rd = indicator.Reading

// manual is the worked example: 12340 kg gross, stable.
var manual = []byte{0x02, 0x32, 0x30, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x0D, 0x25}

// withSWB returns the example with SWB and CHK replaced.
func withSWB(swb, chk byte) []byte {
	f := bytes.Clone(manual)
	f[2], f[17] = swb, chk
	return f
}

// sum7 is an independent reference checksum: two's complement of the 7-bit sum.
func sum7(f []byte) byte {
	s := 0
	for _, c := range f {
		s += int(c & 0x7f)
	}
	return byte((128 - s%128) % 128)
}

// build makes a frame from status words and the 12 digit characters.
func build(swa, swb, swc byte, w, tare string) []byte {
	f := append([]byte{0x02, swa, swb, swc}, w+tare+"\r"...)
	return append(f, sum7(f))
}

// parity sets bit 7 of every byte with an odd number of ones (7E1 read as 8N1).
func parity(f []byte) []byte {
	g := bytes.Clone(f)
	for i, c := range g {
		ones := 0
		for b := c; b != 0; b &= b - 1 {
			ones++
		}
		if ones%2 == 1 {
			g[i] = c | 0x80
		}
	}
	return g
}

var cases = []indicatortest.Case{
	{Name: "manual 12340 kg stable", In: manual, Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown}}},
	{Name: "manual in motion", In: withSWB(0x38, 0x1D), Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown | indicator.Motion}}},
	{Name: "7E1 parity bits", In: parity(manual), Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown}}},
	{Name: "blank leading zeros", In: build(0x32, 0x30, 0x20, " 12340", "     0"), Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown}}},
	{Name: "net negative", In: build(0x2A, 0x33, 0x20, "000200", "001000"), Want: []rd{{Kg: -200, Flags: indicator.MotionKnown | indicator.Net}}},
	{Name: "two decimals", In: build(0x2C, 0x30, 0x20, "003120", "000000"), Want: []rd{{Kg: 31.2, Flags: indicator.MotionKnown}}},
	{Name: "x10 no point", In: build(0x29, 0x30, 0x20, "003120", "000000"), Want: []rd{{Kg: 31200, Flags: indicator.MotionKnown}}},
	{Name: "lb", In: build(0x2A, 0x20, 0x20, "001000", "000000"), Want: []rd{{Kg: 453.59237, Flags: indicator.MotionKnown}}},
	{Name: "tonnes", In: build(0x2D, 0x30, 0x22, "031200", "000000"), Want: []rd{{Kg: 31200, Flags: indicator.MotionKnown}}},
	{Name: "over range", In: build(0x2A, 0x34, 0x20, "999999", "000000"), Want: []rd{{Flags: indicator.MotionKnown | indicator.Overload}}},
	{Name: "under range", In: build(0x2A, 0x36, 0x20, "000100", "000000"), Want: []rd{{Flags: indicator.MotionKnown | indicator.Underload}}},
	{Name: "bad checksum then good", In: append(withSWB(0x30, 0x26), manual...), Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown}}, Bad: 1},
	{Name: "unknown unit", In: build(0x2A, 0x30, 0x23, "001000", "000000"), Bad: 1},
	{Name: "noise and a cut frame", In: append([]byte{0x55, 0x02, 0x32, 0x30}, manual...), Want: []rd{{Kg: 12340, Flags: indicator.MotionKnown}}, Bad: 1},
}

func TestGolden(t *testing.T) {
	if got := EncodeFrame(Frame{Kg: 12340, Increment: 2}); !bytes.Equal(got, manual) {
		t.Errorf("EncodeFrame = % X\nwant          % X", got, manual)
	}
	if got := EncodeFrame(Frame{Kg: 12340, Increment: 2, Flags: indicator.Motion}); !bytes.Equal(got, withSWB(0x38, 0x1D)) {
		t.Errorf("EncodeFrame(motion) = % X", got)
	}
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, cases)
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, f := range []Frame{
		{Kg: 31200, Increment: 5, Blank: true},
		{Kg: -20, Decimals: 0, Flags: indicator.Net | indicator.Motion},
		{Kg: 1.5, Decimals: 3},
		{Flags: indicator.Overload},
	} {
		got, _, _ := indicatortest.Decode(New(bytes.NewReader(EncodeFrame(f)), indicator.Options{}))
		want := rd{Kg: f.Kg, Flags: indicator.MotionKnown | f.Flags}
		if f.Flags&indicator.Overload != 0 {
			want.Kg = 0
		}
		if !indicatortest.Equal(got, []rd{want}) {
			t.Errorf("%+v decodes as %v, want %v", f, got, want)
		}
	}
}

func valid(in []byte, _ indicator.Reading) bool {
	for i := 0; i+18 <= len(in); i++ {
		f := in[i : i+18]
		if f[0]&0x7f == 2 && f[16]&0x7f == '\r' && sum7(f[:17]) == f[17]&0x7f {
			return true
		}
	}
	return false
}

func FuzzCont(f *testing.F) {
	indicatortest.Seed(f, cases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, in, valid)
	})
}

func BenchmarkDecode(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, bytes.Repeat(manual, 256))
}
