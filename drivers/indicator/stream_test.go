package indicator

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
)

var decimalCases = []struct {
	in   string
	want float64
	ok   bool
}{
	{"0003.000", 3, true},
	{"-0001.00", -1, true},
	{" 12340", 12340, true},
	{"+001560", 1560, true},
	{"-   20.5 ", -20.5, true},
	{"-0", 0, true},
	{"", 0, false},
	{"-", 0, false},
	{".", 0, false},
	{"1.2.3", 0, false},
	{"12a", 0, false},
	{"\v12", 0, false},
	{"1234567890", 0, false},
	{"1 2", 0, false},
}

func TestParseDecimal(t *testing.T) {
	for _, c := range decimalCases {
		got, ok := ParseDecimal([]byte(c.in))
		if ok != c.ok || got != c.want {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, c := range decimalCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, ok := ParseDecimal(in)
		if !ok {
			return
		}
		// Whatever it accepts, strconv reads the same (signs and blanks aside).
		s := strings.ReplaceAll(strings.Trim(string(in), " "), " ", "")
		ref, err := strconv.ParseFloat(s, 64)
		if err != nil || (ref != v && !(ref == 0 && v == 0)) {
			t.Fatalf("ParseDecimal(%q) = %v; strconv says %v, %v", in, v, ref, err)
		}
	})
}

func TestStreamPollsOnlyWithAWriter(t *testing.T) {
	// A polled stream without a writer decodes what it reads, and Close before any Next is fine.
	parse := func(b []byte) (int, Reading, Verdict) {
		if b[0] != 'x' {
			return 1, Reading{}, Skip
		}
		return 1, Reading{Kg: 1}, Frame
	}
	s := NewStream(bytes.NewReader([]byte("REQx?x")), Options{}, StreamConfig{Parse: parse, Poll: []byte("REQ")})
	n := 0
	for {
		if _, err := s.Next(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if st := s.Stats(); n != 2 || st.DiscardedBytes != 4 {
		t.Errorf("%d readings, stats %+v; want 2, and the echoed request and '?' discarded", n, st)
	}
	s2 := NewStream(bytes.NewReader(nil), Options{Writer: io.Discard}, StreamConfig{Parse: parse, Poll: []byte("REQ")})
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Next(); err != io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

func TestUnitKg(t *testing.T) {
	for u, want := range map[string]float64{"kg": 1, " KG ": 1, "g": 0.001, "t": 1000, "lb": 0.45359237} {
		if got, ok := UnitKg(u); !ok || got != want {
			t.Errorf("UnitKg(%q) = %v, %v", u, got, ok)
		}
	}
	if _, ok := UnitKg("oz"); ok {
		t.Error("oz accepted")
	}
}
