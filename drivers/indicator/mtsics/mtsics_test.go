package mtsics

import (
	"bytes"
	"io"
	"regexp"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

type rd = indicator.Reading

const (
	mk  = indicator.MotionKnown
	mot = indicator.MotionKnown | indicator.Motion
)

var cases = []indicatortest.Case{
	{Name: "stable", In: []byte("S S     100.00 kg\r\n"), Want: []rd{{Kg: 100, Flags: mk}}},
	{Name: "dynamic", In: []byte("S D      12.5 kg\r\n"), Want: []rd{{Kg: 12.5, Flags: mot}}},
	{Name: "tonnes", In: []byte("S S      31.20 t\r\n"), Want: []rd{{Kg: 31200, Flags: mk}}},
	{Name: "grams", In: []byte("S S    1500 g\r\n"), Want: []rd{{Kg: 1.5, Flags: mk}}},
	{Name: "negative", In: []byte("S S     -20.00 kg\r\n"), Want: []rd{{Kg: -20, Flags: mk}}},
	{Name: "sign apart", In: []byte("S S  -    20.00 kg\r\n"), Want: []rd{{Kg: -20, Flags: mk}}},
	{Name: "busy", In: []byte("S I\r\n"), Want: nil},
	{Name: "overload", In: []byte("S +\r\n"), Want: []rd{{Flags: mk | indicator.Overload}}},
	{Name: "underload", In: []byte("S -\r\n"), Want: []rd{{Flags: mk | indicator.Underload}}},
	{Name: "errors give nothing", In: []byte("ES\r\nET\r\nEL\r\n"), Want: nil},
	{Name: "SI echoed then answered", In: []byte("SI\r\nS S     100.00 kg\r\n"), Want: []rd{{Kg: 100, Flags: mk}}},
	{Name: "LF only", In: []byte("S S 5 kg\n"), Want: []rd{{Kg: 5, Flags: mk}}},
	{Name: "garbage line", In: []byte("\x00xy\r\nS S     100.00 kg\r\n"), Want: []rd{{Kg: 100, Flags: mk}}, Bad: 1},
	{Name: "unknown unit", In: []byte("S S 100 oz\r\n"), Bad: 1},
	{Name: "extra field", In: []byte("S S 100 kg x\r\n"), Bad: 1},
	{Name: "cut at end", In: []byte("S S 100 kg\r\nS S 1"), Want: []rd{{Kg: 100, Flags: mk}}, Bad: 1},
}

func TestGolden(t *testing.T) {
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, cases)
}

func TestEncodeReply(t *testing.T) {
	for _, c := range []struct {
		kg    float64
		dp    int
		flags indicator.Flags
		want  string
	}{
		{100, 2, 0, "S S     100.00 kg\r\n"},
		{31200, 0, indicator.Motion, "S D      31200 kg\r\n"},
		{-20, 1, 0, "S S      -20.0 kg\r\n"},
		{0, 0, indicator.Overload, "S +\r\n"},
	} {
		if got := string(EncodeReply(c.kg, c.dp, c.flags)); got != c.want {
			t.Errorf("EncodeReply(%g, %d, %v) = %q, want %q", c.kg, c.dp, c.flags, got, c.want)
		}
	}
}

var lineRe = regexp.MustCompile(`(?m)^(S|SI|SIR) +[SD+\-]`)

func valid(in []byte, _ indicator.Reading) bool { return lineRe.Match(in) }

func FuzzSICS(f *testing.F) {
	indicatortest.Seed(f, cases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, in, valid)
	})
}

func BenchmarkDecode(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{}) }, bytes.Repeat(EncodeReply(31200, 0, 0), 256))
}

func TestAnswer(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		motion bool
		reply  string
		used   int
	}{
		{"SI stable", "SI\r\n", false, "S S      31200 kg\r\n", 4},
		{"SI in motion", "SI\r\n", true, "S D      31200 kg\r\n", 4},
		{"S stable", "S\r\nSI\r\n", false, "S S      31200 kg\r\n", 3},
		{"S in motion is busy", "S\r\n", true, "S I\r\n", 3},
		{"unknown command", "Z\r\n", false, "ES\r\n", 3},
		{"empty line", "\r\n", false, "", 2},
		{"partial line waits", "S", false, "", 0},
		{"a long line without end is dropped", string(bytes.Repeat([]byte("x"), 65)), false, "", 65},
	} {
		reply, used := Answer([]byte(c.in), 31200, c.motion)
		if string(reply) != c.reply || used != c.used {
			t.Errorf("%s: Answer(%q) = %q, %d; want %q, %d", c.name, c.in, reply, used, c.reply, c.used)
		}
	}
}
