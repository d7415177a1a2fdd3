// Package ascii decodes the long tail of indicators that send a weight as a text line: the
// line's layout is a profile (a regular expression with a named group, optional reversal, a
// scale factor, a unit and a line terminator), so a new indicator needs a profile, not code. It
// registers "ascii" with sitegate/drivers/indicator.
//
// It must not import sitegate/models or sitegate/agent.
package ascii

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"

	"sitegate/drivers/indicator"
)

// Protocol is the scale.protocol name of the configurable line protocol.
const Protocol = "ascii"

func init() {
	indicator.Register(indicator.Protocol{
		Name:    Protocol,
		Summary: "a text line per reading, described by a profile (regular expression, reversal, scale, unit, terminator)",
		Rank:    80, // last: a loose profile explains bytes that a real format explains better
		New:     New,
		// The emulator speaks the example profile.
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeKeliXK3118T1(kg) }}
		},
	})
}

// maxLine bounds a line; a longer one is a bad frame.
const maxLine = 128

// KeliXK3118T1 is the example profile of the Keli XK3118T1's continuous output: each reading is
// "=" followed by the displayed value, least significant character first.
var KeliXK3118T1 = indicator.ASCII{
	Pattern:    `^(?P<w>[-0-9.]{7,8})$`,
	Reverse:    true,
	Unit:       "kg",
	Terminator: "=",
}

// EncodeKeliXK3118T1 returns what an indicator read by the KeliXK3118T1 profile sends for kg:
// the terminator "=", then the eight displayed characters (the sign position, '-' or '0', and
// seven digits of whole kilograms, clamped) least significant first.
func EncodeKeliXK3118T1(kg float64) []byte {
	v := math.Round(math.Abs(kg))
	if math.IsNaN(v) {
		v = 0
	}
	v = min(v, 9999999)
	disp := fmt.Appendf(make([]byte, 0, 9), "%08d", int64(v))
	if kg < 0 && v != 0 {
		disp[0] = '-'
	}
	slices.Reverse(disp)
	return append([]byte("="), disp...)
}

// Profile is a compiled indicator.ASCII.
type Profile struct {
	re                 *regexp.Regexp
	w, unit, mot, net  int // subexpression indexes, -1 if absent
	reverse            bool
	scale, defaultUnit float64
	term               []byte
}

// Compile checks and compiles a profile: the pattern must compile and have a group named w,
// the unit must be kg, g, t or lb, and the scale must not be negative.
func Compile(a indicator.ASCII) (*Profile, error) {
	if a.Pattern == "" {
		return nil, errors.New("ascii profile: pattern is empty")
	}
	re, err := regexp.Compile(a.Pattern)
	if err != nil {
		return nil, fmt.Errorf("ascii profile: pattern: %w", err)
	}
	p := &Profile{re: re, w: re.SubexpIndex("w"), unit: re.SubexpIndex("unit"), mot: re.SubexpIndex("motion"),
		net: re.SubexpIndex("net"), reverse: a.Reverse, scale: a.Scale, term: []byte(a.Terminator)}
	if p.w < 0 {
		return nil, errors.New(`ascii profile: pattern has no group named w, as in (?P<w>[0-9.]+)`)
	}
	if p.scale == 0 {
		p.scale = 1
	}
	if p.scale < 0 {
		return nil, fmt.Errorf("ascii profile: scale %g is negative", a.Scale)
	}
	u := a.Unit
	if u == "" {
		u = "kg"
	}
	f, ok := indicator.UnitKg(u)
	if !ok {
		return nil, fmt.Errorf("ascii profile: unit %q is not kg, g, t or lb", a.Unit)
	}
	p.defaultUnit = f
	if len(p.term) == 0 {
		p.term = []byte("\n") // CR LF, the CR trimmed below
	}
	return p, nil
}

// New returns a decoder of lines in the profile opts.ASCII. A profile that does not compile
// gives a decoder whose Next returns the compile error (config validation reports it first).
func New(r io.Reader, opts indicator.Options) indicator.Decoder {
	p, err := Compile(opts.ASCII)
	if err != nil {
		return failed{err}
	}
	return indicator.NewStream(r, opts, indicator.StreamConfig{Parse: p.Parse, MaxFrame: maxLine})
}

type failed struct{ err error }

func (f failed) Next() (indicator.Reading, error) { return indicator.Reading{}, f.err }
func (f failed) Stats() indicator.Stats           { return indicator.Stats{} }
func (f failed) Close() error                     { return nil }

// Parse is the profile's indicator.Parser: one line up to the terminator; an empty line is
// skipped, a line the pattern does not match (or whose weight is not a number) is bad.
func (p *Profile) Parse(b []byte) (int, indicator.Reading, indicator.Verdict) {
	i := bytes.Index(b, p.term)
	if i < 0 {
		return 0, indicator.Reading{}, indicator.NeedMore
	}
	n := i + len(p.term)
	line := bytes.TrimSuffix(b[:i], []byte("\r"))
	if len(bytes.TrimSpace(line)) == 0 {
		return n, indicator.Reading{}, indicator.Skip
	}
	m := p.re.FindSubmatchIndex(line)
	if m == nil || m[2*p.w] < 0 {
		return n, indicator.Reading{}, indicator.Bad
	}
	var store [32]byte
	w := line[m[2*p.w]:m[2*p.w+1]]
	if p.reverse {
		if len(w) > len(store) {
			return n, indicator.Reading{}, indicator.Bad
		}
		rev := store[:len(w)]
		for k := range w {
			rev[len(w)-1-k] = w[k]
		}
		w = rev
	}
	v, ok := indicator.ParseDecimal(w)
	if !ok {
		return n, indicator.Reading{}, indicator.Bad
	}
	unit := p.defaultUnit
	if p.unit >= 0 && m[2*p.unit] >= 0 && m[2*p.unit+1] > m[2*p.unit] {
		f, ok := indicator.UnitKg(string(line[m[2*p.unit]:m[2*p.unit+1]]))
		if !ok {
			return n, indicator.Reading{}, indicator.Bad
		}
		unit = f
	}
	var flags indicator.Flags
	if p.mot >= 0 {
		flags |= indicator.MotionKnown
		if m[2*p.mot] >= 0 && m[2*p.mot+1] > m[2*p.mot] {
			flags |= indicator.Motion
		}
	}
	if p.net >= 0 && m[2*p.net] >= 0 && m[2*p.net+1] > m[2*p.net] {
		flags |= indicator.Net
	}
	kg := v * p.scale * unit
	if kg == 0 {
		kg = 0
	}
	return n, indicator.Reading{Kg: kg, Flags: flags}, indicator.Frame
}
