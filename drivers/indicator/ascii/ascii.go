// Package ascii decodes the long tail of indicators that send a weight as a text line: the
// line's layout is a profile (a regular expression with a named group, optional reversal, a
// scale factor, a unit and a line terminator), so a new indicator needs a profile, not code. It
// registers "ascii" with sitegate/drivers/indicator, and with it the profile's config block
// (lanes[].scale.ascii), its defaults and its validation.
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
		// The line's unit group, or else the profile's unit (scale.ascii.unit), says the unit.
		UnitInFrame: true,
		New:         New,
		// The profile is the lane's scale.ascii block.
		ProfileKey:     Protocol,
		DefaultProfile: Profile{Scale: 1, Unit: "kg", Terminator: "\r\n"},
		Example:        KeliXK3118T1,
		Validate:       Validate,
		// The emulator speaks the example profile.
		Emulate: func(byte) indicator.Speaker {
			return indicator.Speaker{Encode: func(kg float64, _ bool) []byte { return EncodeKeliXK3118T1(kg) }}
		},
	})
}

// Profile is the layout of one text line: a lane's scale.ascii block, and the decoder's
// Options.Profile (as a Profile or a *Profile).
type Profile struct {
	// Pattern is a regular expression with a named group "w" that captures the weight; it is
	// matched against each line without its terminator. Optional named groups: "unit" (kg, g,
	// t, lb), "motion" (non-empty means in motion), "net" (non-empty means net weight).
	Pattern string `yaml:"pattern"`
	// Reverse reverses the captured weight's characters first (indicators that send the least
	// significant digit first).
	Reverse bool `yaml:"reverse"`
	// Scale multiplies the value; 0 means 1 to the decoder (a config must say 1).
	Scale float64 `yaml:"scale"`
	// Unit is the unit when the line carries none: kg, g, t or lb; empty means kg to the
	// decoder (a config must say it).
	Unit string `yaml:"unit"`
	// Terminator ends each line; empty means "\r\n" to the decoder (a lone "\n" is accepted
	// too; a config must say it).
	Terminator string `yaml:"terminator"`
}

// maxLine bounds a line; a longer one is a bad frame.
const maxLine = 128

// KeliXK3118T1 is the example profile of the Keli XK3118T1's continuous output: each reading is
// "=" followed by the displayed value, least significant character first. It is the
// protocol's Example, and the same as the xk3118t1 device profile of the config.
var KeliXK3118T1 = Profile{
	Pattern:    `^(?P<w>[-0-9.]{7,8})$`,
	Reverse:    true,
	Scale:      1,
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

// Matcher is a compiled Profile.
type Matcher struct {
	re                 *regexp.Regexp
	w, unit, mot, net  int // subexpression indexes, -1 if absent
	reverse            bool
	scale, defaultUnit float64
	term               []byte
}

// Compile checks and compiles a profile: the pattern must compile and have a group named w,
// the unit must be kg, g, t or lb, and the scale must not be negative.
func Compile(a Profile) (*Matcher, error) {
	if a.Pattern == "" {
		return nil, errors.New("ascii profile: pattern is empty")
	}
	re, err := regexp.Compile(a.Pattern)
	if err != nil {
		return nil, fmt.Errorf("ascii profile: pattern: %w", err)
	}
	p := &Matcher{re: re, w: re.SubexpIndex("w"), unit: re.SubexpIndex("unit"), mot: re.SubexpIndex("motion"),
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

// New returns a decoder of lines in the profile opts.Profile. A missing profile, or one that
// does not compile, gives a decoder whose Next returns the error (config validation reports
// it first).
func New(r io.Reader, opts indicator.Options) indicator.Decoder {
	a, err := profileOf(opts)
	if err != nil {
		return failed{err}
	}
	p, err := Compile(a)
	if err != nil {
		return failed{err}
	}
	return indicator.NewStream(r, opts, indicator.StreamConfig{Parse: p.Parse, MaxFrame: maxLine})
}

// profileOf returns the Profile in o.
func profileOf(o indicator.Options) (Profile, error) {
	switch a := o.Profile.(type) {
	case Profile:
		return a, nil
	case *Profile:
		if a != nil {
			return *a, nil
		}
	case nil:
	default:
		return Profile{}, fmt.Errorf("ascii: the profile is of type %T, not ascii.Profile", o.Profile)
	}
	return Profile{}, errors.New("ascii: no profile (scale.ascii) to read lines with")
}

// Validate checks a lane's profile as its config gives it: a pattern with a group named w,
// a scale above 0, a unit and a terminator, all spelled out (the config's defaults give them).
// It is stricter than Compile, which fills in what a tool's profile leaves out.
func Validate(o indicator.Options) []indicator.Problem {
	a, err := profileOf(o)
	if err != nil {
		return []indicator.Problem{{Path: Protocol, Msg: err.Error()}}
	}
	var ps []indicator.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, indicator.Problem{Path: Protocol + "." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if a.Pattern == "" {
		add("pattern", "must be set for protocol ascii (a regular expression with (?P<w>...) around the weight)")
	} else if re, err := regexp.Compile(a.Pattern); err != nil {
		add("pattern", "%v", err)
	} else if re.SubexpIndex("w") < 0 {
		add("pattern", "%q has no group named w, as in (?P<w>[0-9.]+)", a.Pattern)
	}
	if a.Scale <= 0 {
		add("scale", "%g must be above 0", a.Scale)
	}
	if _, ok := indicator.UnitKg(a.Unit); !ok {
		add("unit", "%q is not kg, g, t or lb", a.Unit)
	}
	if a.Terminator == "" {
		add("terminator", "must not be empty")
	}
	return ps
}

type failed struct{ err error }

func (f failed) Next() (indicator.Reading, error) { return indicator.Reading{}, f.err }
func (f failed) Stats() indicator.Stats           { return indicator.Stats{} }
func (f failed) Close() error                     { return nil }

// Parse is the profile's indicator.Parser: one line up to the terminator; an empty line is
// skipped, a line the pattern does not match (or whose weight is not a number) is bad.
func (p *Matcher) Parse(b []byte) (int, indicator.Reading, indicator.Verdict) {
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
