package indicator

import (
	"io"
	"sort"
	"sync"
)

// Factory builds a decoder reading from r.
type Factory func(r io.Reader, opts Options) Decoder

// Protocol is everything sitegate knows about one wire protocol: how to decode it, and what the
// tools around the decoder need (scale detect, config validation, the emulator). A protocol's
// package fills one in and hands it to Register from init, so that adding a protocol touches
// its own folder and one import line in sitegate/drivers/indicator/all, and no table elsewhere.
type Protocol struct {
	// Name is the scale.protocol name, e.g. "yaohua-tf0".
	Name string
	// Summary is one line for help texts and tools, e.g. "Yaohua XK3190 continuous tF=0".
	Summary string
	// Polled: the indicator answers requests and sends nothing by itself. Its decoder polls on
	// Options.Writer, and config validation applies the poll timing rules.
	Polled bool
	// Checksummed: every frame carries a checksum, so a decoded frame is strong evidence.
	// scale detect says "N checksums passed" rather than "the format has no checksum".
	Checksummed bool
	// UnitInFrame: the frames carry their unit (a unit field, unit bits) or fix it (a literal
	// "kg"), or the protocol's own block sets it (ascii.unit), so Options.Unit does not apply
	// and config validation refuses a scale.unit other than kg. A protocol without it
	// converts its values with Options.Unit.Kg after the decimal point.
	UnitInFrame bool
	// Rank orders the protocols that explain the same bytes equally well in scale detect:
	// lower first. Checksummed formats come before unchecked ones, and a configurable format
	// (ascii) last, since it explains anything its example profile matches. It must be above
	// 0, so that a new protocol chooses its place; equal ranks fall back to the name.
	Rank int
	// New builds the protocol's decoder.
	New Factory
	// Probe is the request scale detect sends to a silent line to wake a polled indicator at
	// its default address; nil for a continuous protocol.
	Probe []byte
	// ProfileKey is the key of the protocol's own block of settings under a lane's scale
	// ("ascii"), for a protocol that needs more than the shared Options; empty for none. The
	// config loader decodes the block strictly into a copy of DefaultProfile, by its fields'
	// yaml tags, and hands the result to Validate and New as Options.Profile. A key must not
	// be one of the scale's own keys (baud, address, ...), and is registered once.
	ProfileKey string
	// DefaultProfile is the block's defaults, a struct value (not a pointer) whose fields
	// carry yaml tags: what a lane gets for every key its file leaves out.
	DefaultProfile any
	// Example is a working profile for tools without a config: scale detect tries the
	// protocol with it, scale watch --protocol reads with it, and Emulate speaks it. Nil
	// for a protocol without a profile.
	Example any
	// Validate checks the settings a lane's config gives the protocol (its address, its
	// Profile) without touching hardware, and returns every mistake; nil means there is
	// nothing protocol-specific to check. The shared settings (baud, poll timing) are the
	// config's to check.
	Validate func(o Options) []Problem
	// Emulate returns how an emulated indicator speaks the protocol (the test bench, sitegate
	// emulate scale): byte for byte what a real one sends. addr is the emulated indicator's own
	// address on a polled bus, 0 for the protocol's default; a continuous protocol ignores it.
	Emulate func(addr byte) Speaker
}

// Problem is one mistake in the settings a protocol is given. Path is where it is, under the
// lane's scale ("address", "ascii.pattern"): the config loader puts the lane's path in front
// (lanes[0].scale.ascii.pattern).
type Problem struct {
	Path string
	Msg  string
}

// Speaker is an emulated indicator's side of a protocol. A continuous protocol sets Encode, a
// polled one Answer; never both. It lives with the protocol, next to its decoder, so that the
// encoder and the decoder of a format are written and tested together.
type Speaker struct {
	// Encode returns the frame a continuous indicator sends for kg; motion says the weight is
	// still moving (a ramp, a settling deck), for formats that carry a motion flag.
	Encode func(kg float64, motion bool) []byte
	// Answer reads the start of buf, the requests received and not yet used: it returns how
	// many bytes it used (0: wait for more) and the reply for the current weight, nil for a
	// request it does not answer (another address, a partial line).
	Answer func(buf []byte, kg float64, motion bool) (reply []byte, used int)
}

var (
	mu        sync.RWMutex
	protocols = map[string]Protocol{}
)

// Register adds a protocol under its name; protocols call it from init. It panics on a
// protocol without a name or a decoder, a profile key without defaults, and a name or a
// profile key registered twice: programming errors that must stop every program (and test)
// at once.
func Register(p Protocol) {
	if p.Name == "" || p.New == nil {
		panic("indicator: protocol registered without a name or a decoder: " + p.Name)
	}
	if p.ProfileKey != "" && p.DefaultProfile == nil {
		panic("indicator: protocol " + p.Name + " has a profile key but no DefaultProfile")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := protocols[p.Name]; dup {
		panic("indicator: protocol registered twice: " + p.Name)
	}
	for _, q := range protocols {
		if p.ProfileKey != "" && q.ProfileKey == p.ProfileKey {
			panic("indicator: profile key " + p.ProfileKey + " of " + p.Name + " is already " + q.Name + "'s")
		}
	}
	protocols[p.Name] = p
}

// Get returns a registered protocol.
func Get(name string) (Protocol, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := protocols[name]
	return p, ok
}

// Lookup returns the decoder factory of a protocol.
func Lookup(name string) (Factory, bool) {
	p, ok := Get(name)
	return p.New, ok
}

// Names lists the registered protocols, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(protocols))
	for n := range protocols {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Protocols returns every registered protocol, sorted by name.
func Protocols() []Protocol {
	names := Names()
	out := make([]Protocol, 0, len(names))
	mu.RLock()
	defer mu.RUnlock()
	for _, n := range names {
		out = append(out, protocols[n])
	}
	return out
}
