package serialport

import (
	"strings"
	"testing"
)

var framingCases = []struct {
	in     string
	data   int
	parity Parity
	stop   StopBits
	ok     bool
}{
	{"8N1", 8, None, One, true},
	{"7E1", 7, Even, One, true},
	{"7o2", 7, Odd, Two, true},
	{"8M1", 8, Mark, One, true},
	{"8S1", 8, Space, One, true},
	{"5N1.5", 5, None, OnePointFive, true},
	{"", 0, None, One, false},
	{"8N", 0, None, One, false},
	{"9N1", 0, None, One, false},
	{"4N1", 0, None, One, false},
	{"8X1", 0, None, One, false},
	{"8N3", 0, None, One, false},
	{"8N1 ", 0, None, One, false},
	{"8N1.", 0, None, One, false},
}

func TestParseFraming(t *testing.T) {
	for _, c := range framingCases {
		t.Run(c.in, func(t *testing.T) {
			d, p, s, err := ParseFraming(c.in)
			if c.ok != (err == nil) {
				t.Fatalf("ParseFraming(%q) err = %v, want ok=%v", c.in, err, c.ok)
			}
			if !c.ok {
				if !strings.Contains(err.Error(), "framing") {
					t.Errorf("error %q does not say what it parsed", err)
				}
				return
			}
			if d != c.data || p != c.parity || s != c.stop {
				t.Errorf("ParseFraming(%q) = %d %v %v, want %d %v %v", c.in, d, p, s, c.data, c.parity, c.stop)
			}
		})
	}
}

func FuzzParseFraming(f *testing.F) {
	for _, c := range framingCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, p, s, err := ParseFraming(in)
		if err != nil {
			return
		}
		m := Mode{Baud: 9600, DataBits: d, Parity: p, StopBits: s}
		if verr := m.Validate(); verr != nil {
			t.Fatalf("ParseFraming(%q) gave an invalid mode: %v", in, verr)
		}
		// The printed form parses back to the same setting.
		text := strings.TrimPrefix(m.String(), "9600 ")
		d2, p2, s2, err := ParseFraming(text)
		if err != nil || d2 != d || p2 != p || s2 != s {
			t.Fatalf("%q printed as %q, which parses to %d %v %v (%v)", in, text, d2, p2, s2, err)
		}
	})
}

func TestModeValidate(t *testing.T) {
	cases := []struct {
		name string
		m    Mode
		ok   bool
	}{
		{"default framing", Mode{Baud: 9600}, true},
		{"7E1", Mode{Baud: 4800, DataBits: 7, Parity: Even}, true},
		{"no baud", Mode{}, false},
		{"negative baud", Mode{Baud: -1}, false},
		{"9 data bits", Mode{Baud: 9600, DataBits: 9}, false},
		{"bad parity", Mode{Baud: 9600, Parity: Space + 1}, false},
		{"bad stop bits", Mode{Baud: 9600, StopBits: Two + 1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.m.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", c.m, err, c.ok)
			}
		})
	}
}

func TestModeString(t *testing.T) {
	if got := (Mode{Baud: 9600}).String(); got != "9600 8N1" {
		t.Errorf("String = %q, want 9600 8N1", got)
	}
	if got := (Mode{Baud: 1200, DataBits: 7, Parity: Odd, StopBits: OnePointFive}).String(); got != "1200 7O1.5" {
		t.Errorf("String = %q, want 1200 7O1.5", got)
	}
}
