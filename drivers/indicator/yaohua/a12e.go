package yaohua

import (
	"bytes"
	"io"
	"math"

	"sitegate/drivers/indicator"
)

// ProtocolA12E is the scale.protocol name of the XK3190-A12(E) continuous output.
const ProtocolA12E = "yaohua-a12e"

func init() {
	indicator.Register(indicator.Protocol{
		Name:        ProtocolA12E,
		Summary:     "Yaohua XK3190-A12(E) 15-byte continuous \"WG004.139kg\" with XOR",
		Checksummed: true,
		UnitInFrame: true, // every frame says "kg"
		Rank:        20,
		New:         func(r io.Reader, o indicator.Options) indicator.Decoder { return NewA12E(r, o) },
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeA12E(kg, 0, 0) }}
		},
	})
}

// The A12(E) frame: 'W', 'G' or 'N', seven characters of value (point included, '-' first when
// negative, a trailing blank when there is no point), "kg", the XOR of the eleven bytes before
// it as two upper-case hex characters, CR LF. Over and under range send nine blanks and "OL" or
// "LO" in place of the first eleven bytes.
const a12eLen = 15

var a12eBlank = []byte("         ") // nine

// NewA12E returns a decoder of the A12(E) output. Overload and underload frames become readings
// with the Overload or Underload flag and no weight; 'N' frames carry the Net flag. The format
// has no motion flag.
func NewA12E(r io.Reader, opts indicator.Options) *indicator.Stream {
	return indicator.NewStream(r, opts, indicator.StreamConfig{Parse: parseA12E, MaxFrame: a12eLen})
}

func parseA12E(b []byte) (int, indicator.Reading, indicator.Verdict) {
	switch b[0] {
	case 'W', ' ':
	default:
		i := bytes.IndexAny(b, "W ")
		if i < 0 {
			i = len(b)
		}
		return i, indicator.Reading{}, indicator.Skip
	}
	n := min(len(b), a12eLen)
	if b[0] == ' ' && !bytes.HasPrefix(a12eBlank, b[:min(n, 9)]) {
		return 1, indicator.Reading{}, indicator.Skip // blanks that do not start a range frame
	}
	if len(b) < a12eLen {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	f := b[:a12eLen]
	x := checksum(f[:11])
	if f[11] != hexUpper[x>>4] || f[12] != hexUpper[x&0x0f] || f[13] != '\r' || f[14] != '\n' {
		if f[0] == ' ' && !isRange(f) {
			return 1, indicator.Reading{}, indicator.Skip
		}
		return 1, indicator.Reading{}, indicator.Bad
	}
	if f[0] == ' ' {
		switch {
		case bytes.Equal(f[:11], []byte("         OL")):
			return a12eLen, indicator.Reading{Flags: indicator.Overload}, indicator.Frame
		case bytes.Equal(f[:11], []byte("         LO")):
			return a12eLen, indicator.Reading{Flags: indicator.Underload}, indicator.Frame
		}
		return 1, indicator.Reading{}, indicator.Skip
	}
	var flags indicator.Flags
	switch f[1] {
	case 'G':
	case 'N':
		flags = indicator.Net
	default:
		return 1, indicator.Reading{}, indicator.Bad
	}
	if f[9] != 'k' || f[10] != 'g' {
		return 1, indicator.Reading{}, indicator.Bad
	}
	v := f[2:9]
	if bytes.IndexByte(v[1:], '-') >= 0 || (v[6] == ' ' && bytes.IndexByte(v, '.') >= 0) {
		return 1, indicator.Reading{}, indicator.Bad
	}
	kg, ok := indicator.ParseDecimal(v)
	if !ok {
		return 1, indicator.Reading{}, indicator.Bad
	}
	return a12eLen, indicator.Reading{Kg: kg, Flags: flags}, indicator.Frame
}

func isRange(f []byte) bool {
	return bytes.Equal(f[:11], []byte("         OL")) || bytes.Equal(f[:11], []byte("         LO"))
}

// EncodeA12E returns the A12(E) frame of kg with dp decimal places (0 to 4); net selects 'N'.
// Overload and Underload in flags give the range frames.
func EncodeA12E(kg float64, dp int, flags indicator.Flags) []byte {
	f := make([]byte, a12eLen)
	switch {
	case flags&indicator.Overload != 0:
		copy(f, "         OL")
	case flags&indicator.Underload != 0:
		copy(f, "         LO")
	default:
		dp = min(max(dp, 0), maxDP)
		f[0], f[1] = 'W', 'G'
		if flags&indicator.Net != 0 {
			f[1] = 'N'
		}
		v := f[2:9]
		end := 7
		if dp == 0 {
			v[6] = ' '
			end = 6
		}
		digits := end
		if dp > 0 {
			digits-- // the point
		}
		neg := kg < 0
		if neg {
			digits--
		}
		scaled := math.Round(math.Abs(kg) * pow10[dp])
		if math.IsNaN(scaled) {
			scaled = 0
		}
		iv := int64(min(scaled, math.Pow10(digits)-1))
		if neg && iv == 0 {
			neg = false
			digits++
		}
		pos := end - 1
		for k := 0; pos >= 0; k++ {
			switch {
			case dp > 0 && k == dp:
				v[pos] = '.'
			case neg && pos == 0:
				v[pos] = '-'
			default:
				v[pos] = byte('0' + iv%10)
				iv /= 10
			}
			pos--
		}
		copy(f[9:], "kg")
	}
	x := checksum(f[:11])
	f[11], f[12] = hexUpper[x>>4], hexUpper[x&0x0f]
	f[13], f[14] = '\r', '\n'
	return f
}
