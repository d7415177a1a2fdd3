// Package toledo decodes the Mettler Toledo standard continuous output. It registers
// "toledo-cont" with sitegate/drivers/indicator.
//
// It must not import sitegate/models or sitegate/agent.
package toledo

import (
	"io"
	"math"

	"sitegate/drivers/indicator"
)

// Protocol is the scale.protocol name of the standard continuous output.
const Protocol = "toledo-cont"

func init() {
	indicator.Register(indicator.Protocol{
		Name:        Protocol,
		Summary:     "Mettler Toledo standard continuous output (STX SWA SWB SWC weight tare CR CHK), often 7E1",
		Checksummed: true,
		UnitInFrame: true, // SWB/SWC unit bits (kg, lb, g, t)
		Rank:        30,
		New:         func(r io.Reader, o indicator.Options) indicator.Decoder { return New(r, o) },
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, motion bool) []byte {
				f := Frame{Kg: kg, Increment: 2}
				if motion {
					f.Flags = indicator.Motion
				}
				return EncodeFrame(f)
			}}
		},
	})
}

// The frame: STX SWA SWB SWC, six characters of displayed weight and six of tare (digits,
// leading zeros possibly blank), CR, CHK, where CHK is the two's complement of the low seven
// bits of the sum of the 17 bytes before it. Every byte is taken modulo 0x80: on a 7-bit line
// read as 8 bits the top bit is the parity.
const (
	stx      = 0x02
	cr       = 0x0D
	frameLen = 18
)

// Status word bits.
const (
	swaDecimal = 0x07 // SWA bits 0-2: where the point is
	swaIncr    = 0x18 // SWA bits 3-4: increment x1, x2, x5
	alwaysOne  = 0x20 // bit 5 of every status word

	swbNet    = 0x01
	swbNeg    = 0x02
	swbRange  = 0x04
	swbMotion = 0x08
	swbKg     = 0x10 // else lb

	swcUnit = 0x07 // SWC bits 0-2: 0 = kg or lb (SWB), 1 = g, 2 = t
)

// scale is the factor of the six weight digits for each SWA decimal code.
var scale = [8]float64{100, 10, 1, 0.1, 0.01, 0.001, 0.0001, 0.00001}

// New returns a decoder of the standard continuous output. Every reading has MotionKnown, and
// Motion, Net, Overload (Underload when the sign is negative) as the status words say; weights
// in lb, g or t are converted to kg. Out-of-range readings carry no weight.
func New(r io.Reader, opts indicator.Options) *indicator.Stream {
	return indicator.NewStream(r, opts, indicator.StreamConfig{Parse: parse, MaxFrame: frameLen})
}

func parse(b []byte) (int, indicator.Reading, indicator.Verdict) {
	if b[0]&0x7f != stx {
		i := 0
		for i < len(b) && b[i]&0x7f != stx {
			i++
		}
		return i, indicator.Reading{}, indicator.Skip
	}
	if len(b) < frameLen {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	var f [frameLen]byte
	for i := range f {
		f[i] = b[i] & 0x7f
	}
	if f[16] != cr || f[17] != checksum(f[:17]) {
		return 1, indicator.Reading{}, indicator.Bad
	}
	swa, swb, swc := f[1], f[2], f[3]
	if swa&alwaysOne == 0 || swb&alwaysOne == 0 || swc&alwaysOne == 0 || swa&swaIncr == 0 {
		return 1, indicator.Reading{}, indicator.Bad
	}
	v, ok := digits(f[4:10])
	if !ok {
		return 1, indicator.Reading{}, indicator.Bad
	}
	if _, ok := digits(f[10:16]); !ok {
		return 1, indicator.Reading{}, indicator.Bad
	}
	var unit float64
	switch swc & swcUnit {
	case 0:
		unit = 0.45359237
		if swb&swbKg != 0 {
			unit = 1
		}
	case 1:
		unit = 0.001
	case 2:
		unit = 1000
	default:
		return 1, indicator.Reading{}, indicator.Bad // a unit that is not a mass we convert
	}
	flags := indicator.MotionKnown
	if swb&swbMotion != 0 {
		flags |= indicator.Motion
	}
	if swb&swbNet != 0 {
		flags |= indicator.Net
	}
	if swb&swbRange != 0 {
		if swb&swbNeg != 0 {
			flags |= indicator.Underload
		} else {
			flags |= indicator.Overload
		}
		return frameLen, indicator.Reading{Flags: flags}, indicator.Frame
	}
	kg := float64(v) * scale[swa&swaDecimal]
	if swa&swaDecimal > 2 { // divide rather than multiply by 0.1..: exact decimals stay exact
		kg = float64(v) / math.Pow10(int(swa&swaDecimal)-2)
	}
	kg *= unit
	if swb&swbNeg != 0 && v != 0 {
		kg = -kg
	}
	return frameLen, indicator.Reading{Kg: kg, Flags: flags}, indicator.Frame
}

// digits reads six digits, leading ones possibly blank.
func digits(d []byte) (int, bool) {
	n, seen := 0, false
	for _, c := range d {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			seen = true
		case c == ' ' && !seen:
		default:
			return 0, false
		}
	}
	return n, seen
}

func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return (-s) & 0x7f
}

// Frame is what EncodeFrame puts on the line.
type Frame struct {
	Kg, TareKg float64
	Decimals   int // 0 to 5 places after the point
	Increment  int // 1, 2 or 5 (0 means 1)
	Flags      indicator.Flags
	Blank      bool // leading zeros as blanks
	Lb         bool // the weight is in lb (Kg is then read as lb)
}

// EncodeFrame returns the 18-byte frame of f (7-bit bytes, no parity bit).
func EncodeFrame(f Frame) []byte {
	dec := min(max(f.Decimals, 0), 5)
	swa := byte(alwaysOne) | byte(dec+2)
	switch f.Increment {
	case 2:
		swa |= 0x10
	case 5:
		swa |= 0x18
	default:
		swa |= 0x08
	}
	swb := byte(alwaysOne)
	if !f.Lb {
		swb |= swbKg
	}
	if f.Flags&indicator.Net != 0 {
		swb |= swbNet
	}
	if f.Flags&indicator.Motion != 0 {
		swb |= swbMotion
	}
	if f.Flags&(indicator.Overload|indicator.Underload) != 0 {
		swb |= swbRange
	}
	if f.Kg < 0 || f.Flags&indicator.Underload != 0 {
		swb |= swbNeg
	}
	out := make([]byte, frameLen)
	out[0], out[1], out[2], out[3] = stx, swa, swb, alwaysOne
	put6(out[4:10], f.Kg, dec, f.Blank)
	put6(out[10:16], f.TareKg, dec, f.Blank)
	out[16] = cr
	out[17] = checksum(out[:17])
	return out
}

func put6(d []byte, v float64, dec int, blank bool) {
	n := math.Round(math.Abs(v) * math.Pow10(dec))
	if math.IsNaN(n) {
		n = 0
	}
	iv := int(min(n, 999999))
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + iv%10)
		iv /= 10
	}
	if blank {
		for i := 0; i < 5 && d[i] == '0'; i++ {
			d[i] = ' '
		}
	}
}
