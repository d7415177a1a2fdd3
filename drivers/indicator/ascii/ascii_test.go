package ascii

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

type rd = indicator.Reading

// stGs is a common "ST,GS,+0031200kg" line layout.
var stGs = Profile{Pattern: `^(?P<motion>US)?(ST)?,(?P<net>NT)?(GS)?,(?P<w>[-+ 0-9.]+)(?P<unit>kg|t|lb|g)$`}

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
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: stGs}) }, cases)
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: KeliXK3118T1}) }, keliCases)
	scaled := Profile{Pattern: `^W(?P<w>[0-9]+)$`, Scale: 10, Unit: "lb", Terminator: "\x03"}
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: scaled}) },
		[]indicatortest.Case{{Name: "scale and unit", In: []byte("W100\x03"), Want: []rd{{Kg: 453.59237}}}})
}

func TestCompileErrors(t *testing.T) {
	for _, a := range []Profile{
		{},
		{Pattern: `(`},
		{Pattern: `([0-9]+)`},
		{Pattern: `(?P<w>[0-9]+)`, Unit: "oz"},
		{Pattern: `(?P<w>[0-9]+)`, Scale: -1},
	} {
		if _, err := Compile(a); err == nil {
			t.Errorf("Compile(%+v) accepted a bad profile", a)
		}
		if _, err := New(bytes.NewReader(nil), indicator.Options{Profile: a}).Next(); err == nil || err == io.EOF {
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
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: KeliXK3118T1}) },
		[]indicatortest.Case{{Name: "round trip", In: append(in, '='), Want: []rd{{Kg: 31200}, {Kg: -20}}}})
}

func TestValidate(t *testing.T) {
	type pr = indicator.Problem
	def := Profile{Scale: 1, Unit: "kg", Terminator: "\r\n"}
	with := func(f func(*Profile)) Profile { p := def; f(&p); return p }
	for _, c := range []struct {
		name    string
		profile any
		want    []indicator.Problem
	}{
		{"example", KeliXK3118T1, nil},
		{"pointer", &stGs, []pr{{Path: "ascii.scale", Msg: "0 must be above 0"}, {Path: "ascii.unit", Msg: `"" is not kg, g, t or lb`}, {Path: "ascii.terminator", Msg: "must not be empty"}}},
		{"no pattern", def, []pr{{Path: "ascii.pattern", Msg: "must be set for protocol ascii (a regular expression with (?P<w>...) around the weight)"}}},
		{"bad pattern", with(func(p *Profile) { p.Pattern = "(" }), []pr{{Path: "ascii.pattern", Msg: "error parsing regexp: missing closing ): `(`"}}},
		{"no group w", with(func(p *Profile) { p.Pattern = "([0-9]+)" }), []pr{{Path: "ascii.pattern", Msg: `"([0-9]+)" has no group named w, as in (?P<w>[0-9.]+)`}}},
		{"unit", with(func(p *Profile) { p.Pattern, p.Unit = "(?P<w>.)", "oz" }), []pr{{Path: "ascii.unit", Msg: `"oz" is not kg, g, t or lb`}}},
		{"no profile", nil, []pr{{Path: "ascii", Msg: "ascii: no profile (scale.ascii) to read lines with"}}},
		{"another type", 3, []pr{{Path: "ascii", Msg: "ascii: the profile is of type int, not ascii.Profile"}}},
	} {
		if got := Validate(indicator.Options{Profile: c.profile}); !slices.Equal(got, c.want) {
			t.Errorf("%s: Validate = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestNoProfile(t *testing.T) {
	if _, err := New(bytes.NewReader([]byte("1\r\n")), indicator.Options{}).Next(); err == nil || err == io.EOF {
		t.Errorf("Next without a profile = %v, want the missing profile's error", err)
	}
}

var stRe = regexp.MustCompile(`(ST|US)?,(NT|GS)?,[-+ 0-9.]+(kg|t|lb|g)\r?\n`)

func FuzzASCII(f *testing.F) {
	indicatortest.Seed(f, cases)
	indicatortest.Seed(f, keliCases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: stGs}) }, in,
			func(in []byte, _ indicator.Reading) bool { return stRe.Match(in) })
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: KeliXK3118T1}) }, in, nil)
	})
}

func BenchmarkDecode(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return New(r, indicator.Options{Profile: stGs}) }, bytes.Repeat([]byte("ST,GS,+0031200kg\r\n"), 256))
}
