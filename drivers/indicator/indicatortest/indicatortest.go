// Package indicatortest holds what the tests of every indicator protocol share: golden cases,
// the fuzz properties and the per-frame benchmark. Only tests import it.
//
// It must not import sitegate/models or sitegate/agent.
package indicatortest

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"
	"testing/iotest"
	"time"

	"sitegate/drivers/indicator"
)

// New builds the decoder under test on r.
type New func(r io.Reader) indicator.Decoder

// Case is one golden case: the bytes on the line and the readings they must give.
type Case struct {
	Name string
	In   []byte
	Want []indicator.Reading // Time is ignored
	Bad  uint64              // bad frames expected
}

// Decode reads d until its reader's error, closes it and returns the readings (Time zeroed),
// the stats and that error.
func Decode(d indicator.Decoder) ([]indicator.Reading, indicator.Stats, error) {
	var out []indicator.Reading
	for {
		r, err := d.Next()
		if err != nil {
			d.Close()
			return out, d.Stats(), err
		}
		r.Time = time.Time{}
		out = append(out, r)
	}
}

// Run checks every case, with the input in one piece and one byte at a time.
func Run(t *testing.T, newDec New, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, mode := range []string{"whole", "bytewise"} {
				var r io.Reader = bytes.NewReader(c.In)
				if mode == "bytewise" {
					r = iotest.OneByteReader(r)
				}
				got, st, err := Decode(newDec(r))
				if !errors.Is(err, io.EOF) {
					t.Fatalf("%s: error %v, want EOF", mode, err)
				}
				if !Equal(got, c.Want) {
					t.Errorf("%s: readings\n got %v\nwant %v", mode, got, c.Want)
				}
				if st.BadFrames != c.Bad {
					t.Errorf("%s: bad frames %d, want %d (stats %+v)", mode, st.BadFrames, c.Bad, st)
				}
				if st.Frames != uint64(len(got)) {
					t.Errorf("%s: Frames %d but %d readings", mode, st.Frames, len(got))
				}
			}
		})
	}
}

// Equal compares readings by weight (to 1e-9 kg) and flags.
func Equal(a, b []indicator.Reading) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Flags != b[i].Flags || math.Abs(a[i].Kg-b[i].Kg) > 1e-9 {
			return false
		}
	}
	return true
}

// Seed adds every case's input to the fuzz corpus.
func Seed(f *testing.F, cases []Case) {
	for _, c := range cases {
		f.Add(c.In)
	}
}

// Check is the fuzz property every decoder must keep on any input: no panic; every reading
// finite and within a weighbridge's reach; Frames equal to the readings given; the same
// readings whether the bytes come whole or one at a time; and every reading accepted by valid,
// which re-checks the frame the reading came from independently (nil skips that).
func Check(t *testing.T, newDec New, in []byte, valid func(in []byte, r indicator.Reading) bool) {
	got, st, err := Decode(newDec(bytes.NewReader(in)))
	if !errors.Is(err, io.EOF) {
		t.Fatalf("error %v, want EOF", err)
	}
	if st.Frames != uint64(len(got)) {
		t.Fatalf("Frames %d but %d readings", st.Frames, len(got))
	}
	for _, r := range got {
		if math.IsNaN(r.Kg) || math.IsInf(r.Kg, 0) || math.Abs(r.Kg) > 1e12 {
			t.Fatalf("reading %v is not a weight", r)
		}
		if r.Flags&(indicator.Overload|indicator.Underload) != 0 && r.Kg != 0 {
			t.Fatalf("out-of-range reading %v carries a weight", r)
		}
		if valid != nil && !valid(in, r) {
			t.Fatalf("reading %v from %q fails the independent check", r, in)
		}
	}
	again, _, _ := Decode(newDec(iotest.OneByteReader(bytes.NewReader(in))))
	if !Equal(got, again) {
		t.Fatalf("whole %v, bytewise %v", got, again)
	}
}

// Bench measures the decoder per decoded frame: stream is a run of valid frames (frames of
// them), replayed in a loop; each op is one Next.
func Bench(b *testing.B, newDec New, stream []byte) {
	b.Helper()
	r := &loop{b: stream}
	d := newDec(r)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

// loop reads b over and over.
type loop struct {
	b   []byte
	off int
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}
