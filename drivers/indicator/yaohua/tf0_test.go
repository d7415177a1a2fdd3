package yaohua

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"sitegate/drivers/indicator"
)

// golden is the example frame of the contract: +1560 kg.
var golden = []byte{0x02, 0x2B, 0x30, 0x30, 0x31, 0x35, 0x36, 0x30, 0x30, 0x31, 0x39, 0x03}

// frame builds a frame from its text fields with a correct checksum.
func frame(sign byte, digits string, dp byte) []byte {
	f := append([]byte{stx, sign}, digits...)
	f = append(f, dp)
	x := checksum(f[1:])
	return append(f, hexUpper[x>>4], hexUpper[x&0x0f], etx)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// with returns a copy of f with byte i set to b.
func with(f []byte, i int, b byte) []byte {
	g := slices.Clone(f)
	g[i] = b
	return g
}

// lowerHex is a frame whose checksum is right but written in lower case.
func lowerHex() []byte {
	f := frame('+', "000010", '0') // XOR 0x2B^0x31 = 0x1A: "1A"
	if f[10] != 'A' {
		panic("lowerHex: expected a letter in the checksum")
	}
	return with(f, 10, 'a')
}

var decodeCases = []struct {
	name  string
	in    []byte
	want  []float64
	stats indicator.Stats
}{
	{"contract example", golden, []float64{1560}, indicator.Stats{Frames: 1}},
	{"two frames", cat(frame('+', "000000", '0'), frame('+', "012340", '0')), []float64{0, 12340}, indicator.Stats{Frames: 2}},
	{"negative", frame('-', "000120", '0'), []float64{-120}, indicator.Stats{Frames: 1}},
	{"minus zero", frame('-', "000000", '0'), []float64{0}, indicator.Stats{Frames: 1}},
	{"one decimal", frame('+', "015605", '1'), []float64{1560.5}, indicator.Stats{Frames: 1}},
	{"four decimals", frame('-', "123456", '4'), []float64{-12.3456}, indicator.Stats{Frames: 1}},
	{"max", frame('+', "999999", '0'), []float64{999999}, indicator.Stats{Frames: 1}},
	{"five decimals", frame('+', "000100", '5'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"dp not a digit", frame('+', "000100", 'A'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"garbage before", cat([]byte("\xff\x00ab"), golden), []float64{1560}, indicator.Stats{Frames: 1, DiscardedBytes: 4}},
	{"garbage between", cat(golden, []byte{0x03, 0x0d, 0x0a}, golden), []float64{1560, 1560}, indicator.Stats{Frames: 2, DiscardedBytes: 3}},
	{"garbage after", cat(golden, []byte("zz")), []float64{1560}, indicator.Stats{Frames: 1, DiscardedBytes: 2}},
	{"wrong xor", with(golden, 10, '8'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"wrong xor then good", cat(with(golden, 9, '2'), golden), []float64{1560}, indicator.Stats{Frames: 1, BadFrames: 1, DiscardedBytes: 12}},
	{"digit changed", with(golden, 5, '6'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"non-digit", frame('+', "00 560", '0'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"bad sign", frame(' ', "001560", '0'), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"missing etx", cat(with(golden, 11, 0x0d), golden), []float64{1560}, indicator.Stats{Frames: 1, BadFrames: 1, DiscardedBytes: 12}},
	{"lower-case hex", lowerHex(), nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 12}},
	{"truncated at end", cat(golden, golden[:7]), []float64{1560}, indicator.Stats{Frames: 1, BadFrames: 1, DiscardedBytes: 7}},
	// A frame cut short by the next one: the candidate at the first STX is bad, the real frame
	// starts inside it.
	{"truncated then good", cat(golden[:5], golden), []float64{1560}, indicator.Stats{Frames: 1, BadFrames: 1, DiscardedBytes: 5}},
	{"stx inside garbage", cat([]byte{0x02, 0x02, 'x', 0x02}, golden), []float64{1560}, indicator.Stats{Frames: 1, BadFrames: 3, DiscardedBytes: 4}},
	{"lone stx", []byte{0x02}, nil, indicator.Stats{BadFrames: 1, DiscardedBytes: 1}},
	{"empty", nil, nil, indicator.Stats{}},
}

// decodeAll runs a decoder over r to its end.
func decodeAll(t testing.TB, r io.Reader) ([]indicator.Reading, indicator.Stats, error) {
	d := NewTF0(r, indicator.Options{})
	var out []indicator.Reading
	for {
		rd, err := d.Next()
		if err != nil {
			return out, d.Stats(), err
		}
		out = append(out, rd)
		if len(out) > 1<<20 {
			t.Fatal("decoder does not stop")
		}
	}
}

func kgs(rs []indicator.Reading) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.Kg)
	}
	return out
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			readers := map[string]io.Reader{
				"whole":    bytes.NewReader(c.in),
				"one byte": iotest.OneByteReader(bytes.NewReader(c.in)),
			}
			for how, r := range readers {
				rs, st, err := decodeAll(t, r)
				if err != io.EOF {
					t.Errorf("%s: err = %v, want io.EOF", how, err)
				}
				if got := kgs(rs); !slices.Equal(got, c.want) {
					t.Errorf("%s: readings %v, want %v", how, got, c.want)
				}
				if st != c.stats {
					t.Errorf("%s: stats %+v, want %+v", how, st, c.stats)
				}
				for _, r := range rs {
					if r.Flags != 0 {
						t.Errorf("%s: reading %v has flags %v, want none", how, r.Kg, r.Flags)
					}
				}
			}
		})
	}
}

func TestEncodeTF0(t *testing.T) {
	cases := []struct {
		kg   float64
		dp   int
		want []byte
	}{
		{1560, 0, golden},
		{1560.4, 0, golden},
		{-120, 0, frame('-', "000120", '0')},
		{-0.2, 0, frame('+', "000000", '0')},
		{1560.5, 1, frame('+', "015605", '1')},
		{-12.3456, 4, frame('-', "123456", '4')},
		{12.5, 7, frame('+', "125000", '4')},
		{3, -1, frame('+', "000003", '0')},
		{2e6, 0, frame('+', "999999", '0')},
	}
	for _, c := range cases {
		if got := EncodeTF0(c.kg, c.dp); !bytes.Equal(got, c.want) {
			t.Errorf("EncodeTF0(%v, %d) = %q, want %q", c.kg, c.dp, got, c.want)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for dp := 0; dp <= maxDP; dp++ {
		for _, kg := range []float64{0, 20, -40, 49000, 99.99, -0.6, 0.4} {
			want := kg
			if limit := float64(maxValue) / pow10[dp]; want > limit {
				want = limit
			}
			rs, _, _ := decodeAll(t, bytes.NewReader(EncodeTF0(kg, dp)))
			got := kgs(rs)
			if len(got) != 1 || got[0] != roundTo(want, dp) {
				t.Errorf("EncodeTF0(%v, %d) decodes to %v", kg, dp, got)
			}
		}
	}
}

func roundTo(kg float64, dp int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(kg, 'f', dp, 64), 64)
	if v == 0 {
		return 0
	}
	return v
}

func TestReadingTimeAndReaderError(t *testing.T) {
	stamp := time.Date(2026, 11, 27, 21, 14, 3, 0, time.UTC)
	broken := errors.New("port unplugged")
	r := io.MultiReader(bytes.NewReader(cat(golden, golden[:4])), iotest.ErrReader(broken))
	d := NewTF0(r, indicator.Options{Now: func() time.Time { return stamp }})
	rd, err := d.Next()
	if err != nil || rd.Kg != 1560 || !rd.Time.Equal(stamp) {
		t.Fatalf("Next = %+v, %v; want 1560 kg at %v", rd, err, stamp)
	}
	for range 2 {
		if _, err := d.Next(); !errors.Is(err, broken) {
			t.Fatalf("Next after the frames = %v, want the reader's error", err)
		}
	}
}

func TestNoProgress(t *testing.T) {
	d := NewTF0(emptyReader{}, indicator.Options{})
	if _, err := d.Next(); err != io.ErrNoProgress {
		t.Errorf("Next on a reader that never returns data = %v, want io.ErrNoProgress", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestRegistered(t *testing.T) {
	f, ok := indicator.Lookup("yaohua-tf0")
	if !ok {
		t.Fatal("yaohua-tf0 is not registered")
	}
	rd, err := f(bytes.NewReader(golden), indicator.Options{}).Next()
	if err != nil || rd.Kg != 1560 {
		t.Errorf("registered decoder: %v, %v", rd.Kg, err)
	}
}

// validFrames lists, by a check written independently of the decoder, the weight of every valid
// frame at any offset of in, in order.
func validFrames(in []byte) []float64 {
	var out []float64
	for i := 0; i+frameLen <= len(in); i++ {
		f := in[i : i+frameLen]
		if f[0] != 0x02 || f[11] != 0x03 || (f[1] != '+' && f[1] != '-') {
			continue
		}
		digits, dp := string(f[2:8]), f[8]
		if strings.Trim(digits, "0123456789") != "" || dp < '0' || dp > '4' {
			continue
		}
		var x byte
		for _, c := range f[1:9] {
			x ^= c
		}
		if string(f[9:11]) != fmt.Sprintf("%02X", x) {
			continue
		}
		v, _ := strconv.ParseFloat(digits[:6-int(dp-'0')]+"."+digits[6-int(dp-'0'):], 64)
		if f[1] == '-' && v != 0 {
			v = -v
		}
		out = append(out, v)
	}
	return out
}

func FuzzTF0(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, st, err := decodeAll(t, bytes.NewReader(in))
		if err != io.EOF {
			t.Fatalf("err = %v, want io.EOF", err)
		}
		// Valid frames cannot overlap (an STX never appears inside one), so the decoder must
		// return exactly the valid frames of the input, in order.
		if got, want := kgs(rs), validFrames(in); !slices.Equal(got, want) {
			t.Fatalf("readings %v, valid frames in the input %v", got, want)
		}
		if st.Frames != uint64(len(rs)) {
			t.Fatalf("Frames = %d, readings %d", st.Frames, len(rs))
		}
		if st.Frames*frameLen+st.DiscardedBytes != uint64(len(in)) {
			t.Fatalf("stats %+v do not account for %d bytes", st, len(in))
		}
		if stxs := uint64(bytes.Count(in, []byte{stx})); st.Frames+st.BadFrames > stxs {
			t.Fatalf("stats %+v: more frames than the %d STX bytes", st, stxs)
		}
		// Chunking does not matter.
		rs1, st1, _ := decodeAll(t, iotest.OneByteReader(bytes.NewReader(in)))
		if !slices.Equal(kgs(rs1), kgs(rs)) || st1 != st {
			t.Fatalf("byte by byte: %v %+v; whole: %v %+v", kgs(rs1), st1, kgs(rs), st)
		}
	})
}

var update = flag.Bool("update", false, "rewrite testdata/ramp.bin and testdata/ramp.golden")

// TestReplay decodes a capture of a truck driving on, standing and driving off, with line noise,
// a frame cut short and a damaged frame, and compares with the expected weights.
func TestReplay(t *testing.T) {
	bin, gold := filepath.Join("testdata", "ramp.bin"), filepath.Join("testdata", "ramp.golden")
	if *update {
		capture, want := makeRampCapture()
		if err := os.WriteFile(bin, capture, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(gold, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	capture, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(gold)
	if err != nil {
		t.Fatal(err)
	}
	rs, st, err := decodeAll(t, bytes.NewReader(capture))
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	var got strings.Builder
	for _, r := range rs {
		fmt.Fprintln(&got, strconv.FormatFloat(r.Kg, 'f', -1, 64))
	}
	fmt.Fprintf(&got, "# frames %d bad %d discarded %d\n", st.Frames, st.BadFrames, st.DiscardedBytes)
	if got.String() != string(want) {
		t.Errorf("replay of %s differs from %s:\n%s", bin, gold, got.String())
	}
}

// makeRampCapture builds the replay capture and its expected output. The expectation is written
// from the weights put into the capture, not from the decoder.
func makeRampCapture() (capture []byte, golden string) {
	var b bytes.Buffer
	var want strings.Builder
	put := func(kg float64) {
		b.Write(EncodeTF0(kg, 0))
		fmt.Fprintln(&want, strconv.FormatFloat(kg, 'f', -1, 64))
	}
	frames, bad := 0, 0
	b.Write(EncodeTF0(0, 0)[5:]) // the capture starts mid-frame
	for range 5 {
		put(0)
		frames++
	}
	for i := 1; i <= 20; i++ { // ramp on to 31200 kg in 20 divisions steps
		put(float64(i * 1560))
		frames++
		if i == 7 {
			b.Write([]byte{0x00, 0xff, 0x02, 0x7f}) // line noise with a stray STX
			bad++
		}
		if i == 12 {
			b.Write(EncodeTF0(18720, 0)[:6]) // a frame cut short
			bad++
		}
	}
	for i := range 30 { // settling, then stable
		kg := 31200.0
		if i < 6 {
			kg += float64([]int{80, -60, 40, -20, 20, 0}[i])
		}
		if i == 15 {
			f := EncodeTF0(kg, 0)
			f[4] ^= 0x01 // a bit flipped on the line
			b.Write(f)
			bad++
		}
		put(kg)
		frames++
	}
	for i := 19; i >= 0; i-- { // ramp off
		put(float64(i * 1560))
		frames++
	}
	b.Write(EncodeTF0(0, 0)[:9]) // the capture stops mid-frame
	bad++
	discarded := b.Len() - frames*frameLen
	fmt.Fprintf(&want, "# frames %d bad %d discarded %d\n", frames, bad, discarded)
	return b.Bytes(), want.String()
}
