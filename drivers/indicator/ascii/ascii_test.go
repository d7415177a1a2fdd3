package ascii

import (
	"bytes"
	"io"
	"regexp"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

type rd = indicator.Reading

// stGs is a common "ST,GS,+0031200kg" line layout.
var stGs = indicator.ASCII{Pattern: `^(?P<motion>US)?(ST)?,(?P<net>NT)?(GS)?,(?P<w>[-+ 0-9.]+)(?P<unit>kg|t|lb|g)$`}

var cases = []indicatortest.Case{
	{Name: "stable gross", In: []byte("ST,GS,+0031200kg\r\n"), Want: []rd{{Kg: 31200, Flags: indicator.MotionKnown}}},
	{Name: "unstable net tonnes", In: []byte("US,NT,+031.200t\r\n"), Want: []rd{{Kg: 31200, Flags: indicator.MotionKnown | indicator.Motion | indicator.Net}}},
	{Name: "no match", In: []byte("hello\r\nST,GS,+0000020kg\r\n"), Want: []rd{{Kg: 20, Flags: indicator.MotionKnown}}, Bad: 1},
	{Name: "empty lines skipped", In: []byte("\r\n\r\nST,GS,+0000020kg\n"), Want: []rd{{Kg: 20, Flags: indicator.MotionKnown}}},
}

var keliCases = []indicatortest.Case{
	{Name: "reversed 3.000", In: []byte("=000.3000=000.3000="), Want: []rd{{Kg: 3}, {Kg: 3}}, Bad: 0},
	{Name: "reversed -1.00", In: []byte("=00.1000-="), Want: []rd{{Kg: -1}}},
	{Name: "bad chars", In: []byte("=0X0.3000=00213000="), Want: []rd{{Kg: 31200}}, Bad: 1},
}

func TestGolden(t *testing.T) {
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: stGs}) }, cases)
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: KeliXK3118T1}) }, keliCases)
	scaled := indicator.ASCII{Pattern: `^W(?P<w>[0-9]+)$`, Scale: 10, Unit: "lb", Terminator: "\x03"}
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: scaled}) },
		[]indicatortest.Case{{Name: "scale and unit", In: []byte("W100\x03"), Want: []rd{{Kg: 453.59237}}}})
}

func TestCompileErrors(t *testing.T) {
	for _, a := range []indicator.ASCII{
		{},
		{Pattern: `(`},
		{Pattern: `([0-9]+)`},
		{Pattern: `(?P<w>[0-9]+)`, Unit: "oz"},
		{Pattern: `(?P<w>[0-9]+)`, Scale: -1},
	} {
		if _, err := Compile(a); err == nil {
			t.Errorf("Compile(%+v) accepted a bad profile", a)
		}
		if _, err := New(bytes.NewReader(nil), indicator.Options{ASCII: a}).Next(); err == nil || err == io.EOF {
			t.Errorf("decoder of %+v: Next error %v, want the profile's error", a, err)
		}
	}
}

func TestEncodeKeliXK3118T1(t *testing.T) {
	for kg, want := range map[float64]string{31200: "=00213000", -20: "=0200000-", 0: "=00000000", 3.4: "=30000000", 1e9: "=99999990"} {
		if got := string(EncodeKeliXK3118T1(kg)); got != want {
			t.Errorf("EncodeKeliXK3118T1(%g) = %q, want %q", kg, got, want)
		}
	}
	// What it sends, the example profile reads back.
	in := append(EncodeKeliXK3118T1(31200), EncodeKeliXK3118T1(-20)...)
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: KeliXK3118T1}) },
		[]indicatortest.Case{{Name: "round trip", In: append(in, '='), Want: []rd{{Kg: 31200}, {Kg: -20}}}})
}

var stRe = regexp.MustCompile(`(ST|US)?,(NT|GS)?,[-+ 0-9.]+(kg|t|lb|g)\r?\n`)

func FuzzASCII(f *testing.F) {
	indicatortest.Seed(f, cases)
	indicatortest.Seed(f, keliCases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: stGs}) }, in,
			func(in []byte, _ indicator.Reading) bool { return stRe.Match(in) })
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: KeliXK3118T1}) }, in, nil)
	})
}

func BenchmarkDecode(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{ASCII: stGs}) }, bytes.Repeat([]byte("ST,GS,+0031200kg\r\n"), 256))
}
