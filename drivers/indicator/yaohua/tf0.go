// Package yaohua decodes the outputs of Yaohua XK3190 weighbridge indicators (and the Keli
// XK3118K9 command mode they share). It registers "yaohua-tf0" (continuous tF=0), "yaohua-eq"
// and "yaohua-eq-fwd" (the "=" formats), "yaohua-a12e" (XK3190-A12(E)) and "yaohua-cmd" (the
// polled command mode) with sitegate/drivers/indicator.
//
// It must not import sitegate/models or sitegate/agent.
package yaohua

import (
	"bytes"
	"io"
	"math"
	"time"

	"sitegate/drivers/indicator"
)

// ProtocolTF0 is the scale.protocol name of the tF=0 continuous output.
const ProtocolTF0 = "yaohua-tf0"

func init() {
	indicator.Register(indicator.Protocol{
		Name:        ProtocolTF0,
		Summary:     "Yaohua XK3190 continuous tF=0 (STX sign 6 digits dp XOR ETX)",
		Checksummed: true,
		Rank:        10, // the contract's default protocol, and the most common indicator
		New:         NewTF0,
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeTF0(kg, 0) }}
		},
	})
}

// The tF=0 frame: STX sign d5 d4 d3 d2 d1 d0 dp XORh XORl ETX, where XOR covers sign, digits and
// dp and is sent as two upper-case hex characters.
const (
	stx      = 0x02
	etx      = 0x03
	frameLen = 12
	maxDP    = 4
	maxValue = 999999
)

const hexUpper = "0123456789ABCDEF"

var pow10 = [maxDP + 1]float64{1, 10, 100, 1000, 10000}

// tf0 decodes a tF=0 stream. Every byte it consumes is either part of a valid frame or counted
// as discarded, so at the end of a stream Frames*12 + DiscardedBytes is the stream's length.
type tf0 struct {
	indicator.Counters
	r    io.Reader
	now  func() time.Time
	unit indicator.Unit

	store [256]byte
	buf   []byte // bytes read and not yet consumed, a window of store
	err   error  // the reader's error, returned once buf holds no more frames
}

// NewTF0 returns a decoder of the tF=0 continuous output read from r.
//
// It looks for STX, takes the 12 bytes from there and checks the layout and checksum. A frame
// that fails is counted in BadFrames and the search restarts at the byte after its STX, since a
// real frame may start inside a damaged one; bytes skipped on the way count as DiscardedBytes
// (the STX of a bad frame among them). A frame cut off by the end of the stream counts as bad.
// Readings carry no flags: tF=0 has no motion, net or range indication. Nor has it a unit: the
// value, after dp, is in opts.Unit (kg by default; an indicator set to tonnes sends 031200 dp 3
// for 31.2 t, which becomes 31200 kg).
func NewTF0(r io.Reader, opts indicator.Options) indicator.Decoder {
	d := &tf0{r: r, now: opts.Clock(), unit: opts.Unit}
	d.buf = d.store[:0]
	return d
}

// Next returns the next valid frame's weight, or the reader's error once no whole frame is left.
func (d *tf0) Next() (indicator.Reading, error) {
	for {
		if i := bytes.IndexByte(d.buf, stx); i != 0 {
			if i < 0 {
				i = len(d.buf)
			}
			d.discard(i)
		}
		if len(d.buf) >= frameLen {
			if kg, ok := parseTF0(d.buf[:frameLen]); ok {
				d.buf = d.buf[frameLen:]
				d.AddFrame()
				return indicator.Reading{Time: d.now(), Kg: d.unit.Kg(kg)}, nil
			}
			d.AddBadFrame()
			d.discard(1)
			continue
		}
		if d.err != nil {
			if len(d.buf) > 0 {
				d.AddBadFrame()
				d.discard(len(d.buf))
			}
			return indicator.Reading{}, d.err
		}
		d.fill()
	}
}

// Close does nothing: tF=0 is continuous, the decoder runs nothing by itself.
func (d *tf0) Close() error { return nil }

func (d *tf0) discard(n int) {
	d.AddDiscarded(n)
	d.buf = d.buf[n:]
}

// fill reads once more; it is called with fewer than frameLen bytes buffered.
func (d *tf0) fill() { d.buf, d.err = indicator.Refill(d.r, d.store[:], d.buf) }

// parseTF0 checks one 12-byte frame and returns its weight in kg.
func parseTF0(f []byte) (kg float64, ok bool) {
	if len(f) != frameLen || f[0] != stx || f[11] != etx {
		return 0, false
	}
	neg := false
	switch f[1] {
	case '+':
	case '-':
		neg = true
	default:
		return 0, false
	}
	v := 0
	for _, c := range f[2:8] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if f[8] < '0' || f[8] > '0'+maxDP {
		return 0, false
	}
	x := checksum(f[1:9])
	if f[9] != hexUpper[x>>4] || f[10] != hexUpper[x&0x0f] {
		return 0, false
	}
	kg = float64(v) / pow10[f[8]-'0']
	if neg && v != 0 {
		kg = -kg
	}
	return kg, true
}

func checksum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// EncodeTF0 returns the tF=0 frame an indicator sends for kg shown with dp decimal places.
// dp is clamped to 0..4 and the magnitude to the six digits the frame holds; NaN encodes as 0.
func EncodeTF0(kg float64, dp int) []byte {
	dp = min(max(dp, 0), maxDP)
	scaled := math.Round(math.Abs(kg) * pow10[dp])
	v := 0
	switch {
	case math.IsNaN(scaled):
	case scaled >= maxValue:
		v = maxValue
	default:
		v = int(scaled)
	}
	f := make([]byte, frameLen)
	f[0] = stx
	f[1] = '+'
	if kg < 0 && v != 0 {
		f[1] = '-'
	}
	for i := 7; i >= 2; i-- {
		f[i] = byte('0' + v%10)
		v /= 10
	}
	f[8] = byte('0' + dp)
	x := checksum(f[1:9])
	f[9], f[10] = hexUpper[x>>4], hexUpper[x&0x0f]
	f[11] = etx
	return f
}
