package yaohua

import (
	"bytes"
	"io"
	"math"

	"sitegate/drivers/indicator"
)

// Protocol names of the "=" continuous formats.
const (
	// ProtocolEq is the reversed "=" format (A26 format 1, A22, A23P format 2): "=" and the
	// eight displayed characters, least significant first; "=000.3000" is 3.000.
	ProtocolEq = "yaohua-eq"
	// ProtocolEqForward is the same frame in display order: "=-0001.00" is -1.00.
	ProtocolEqForward = "yaohua-eq-fwd"
)

func init() {
	// No checksum: these come after every checksummed format in scale detect.
	indicator.Register(indicator.Protocol{
		Name:    ProtocolEq,
		Summary: "Yaohua XK3190 \"=\" continuous, least significant digit first (A26 format 1, A22)",
		Rank:    60,
		New:     func(r io.Reader, o indicator.Options) indicator.Decoder { return NewEq(r, o, true) },
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeEq(kg, 0, true) }}
		},
	})
	indicator.Register(indicator.Protocol{
		Name:    ProtocolEqForward,
		Summary: "Yaohua XK3190 \"=\" continuous in display order (A26 format 2)",
		Rank:    70,
		New:     func(r io.Reader, o indicator.Options) indicator.Decoder { return NewEq(r, o, false) },
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeEq(kg, 0, false) }}
		},
	})
}

const eqLen = 9 // '=' and 8 characters

// NewEq returns a decoder of the "=" continuous format; reversed selects the least significant
// first order. The frame has no checksum: a frame is accepted when its eight characters are a
// displayed value (an optional '-' in the sign position, digits, at most one '.'), and a '='
// inside it makes it bad. Readings carry no flags. The frame has no unit: the value is in
// opts.Unit (kg by default).
func NewEq(r io.Reader, opts indicator.Options, reversed bool) *indicator.Stream {
	return indicator.NewStream(r, opts, indicator.StreamConfig{
		Parse:    inUnit(opts.Unit, func(b []byte) (int, indicator.Reading, indicator.Verdict) { return parseEq(b, reversed) }),
		MaxFrame: eqLen,
	})
}

func parseEq(b []byte, reversed bool) (int, indicator.Reading, indicator.Verdict) {
	if b[0] != '=' {
		i := bytes.IndexByte(b, '=')
		if i < 0 {
			i = len(b)
		}
		return i, indicator.Reading{}, indicator.Skip
	}
	if i := bytes.IndexByte(b[1:min(len(b), eqLen)], '='); i >= 0 {
		return 1 + i, indicator.Reading{}, indicator.Bad // cut short by the next frame
	}
	if len(b) < eqLen {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	var disp [eqLen - 1]byte
	copy(disp[:], b[1:eqLen])
	if reversed {
		for i, j := 0, len(disp)-1; i < j; i, j = i+1, j-1 {
			disp[i], disp[j] = disp[j], disp[i]
		}
	}
	// The sign position holds '-' or a digit; a '+' or a blank there is not this format.
	if disp[0] != '-' && (disp[0] < '0' || disp[0] > '9') {
		return eqLen, indicator.Reading{}, indicator.Bad
	}
	kg, ok := indicator.ParseDecimal(disp[:])
	if !ok || disp[len(disp)-1] == '.' || bytes.IndexByte(disp[:], ' ') >= 0 {
		return 1, indicator.Reading{}, indicator.Bad
	}
	return eqLen, indicator.Reading{Kg: kg}, indicator.Frame
}

// EncodeEq returns the "=" frame for kg shown with dp decimal places (0 to 4): the sign
// position ('-' or '0') and seven characters of value, reversed when reversed is set.
func EncodeEq(kg float64, dp int, reversed bool) []byte {
	dp = min(max(dp, 0), maxDP)
	width := 7
	if dp > 0 {
		width = 6 // the point takes one of the seven places
	}
	limit := math.Pow10(width) - 1
	v := math.Round(math.Abs(kg) * pow10[dp])
	if math.IsNaN(v) {
		v = 0
	}
	v = min(v, limit)
	iv := int64(v)
	f := make([]byte, eqLen)
	f[0] = '='
	d := f[1:]
	d[0] = '0'
	if kg < 0 && iv != 0 {
		d[0] = '-'
	}
	pos := len(d) - 1
	for k := 0; pos >= 1; k++ {
		if dp > 0 && k == dp {
			d[pos] = '.'
			pos--
			continue
		}
		d[pos] = byte('0' + iv%10)
		iv /= 10
		pos--
	}
	if reversed {
		for i, j := 0, len(d)-1; i < j; i, j = i+1, j-1 {
			d[i], d[j] = d[j], d[i]
		}
	}
	return f
}

// inUnit converts the readings of parse, whose frames carry no unit, from u to kilograms.
func inUnit(u indicator.Unit, parse indicator.Parser) indicator.Parser {
	if u == "" || u == indicator.Kilogram {
		return parse
	}
	return func(b []byte) (int, indicator.Reading, indicator.Verdict) {
		n, r, v := parse(b)
		r.Kg = u.Kg(r.Kg)
		return n, r, v
	}
}
