package capture

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestRecordAndParse(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 21, 14, 3, 0, time.UTC)
	now := t0
	var buf bytes.Buffer
	r := NewRecorder(&buf, func() time.Time { return now }, "port /dev/ttyUSB0 9600 8N1")
	now = now.Add(100 * time.Millisecond)
	src := r.Reader(strings.NewReader("\x02+0015600019\x03"))
	if _, err := io.ReadAll(src); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Millisecond)
	r.Record(Write, []byte("SI\r\n"))
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(f.Header) != 2 || f.Header[1] != "port /dev/ttyUSB0 9600 8N1" {
		t.Errorf("header %q", f.Header)
	}
	if len(f.Chunks) != 2 || f.Chunks[0].At != 100*time.Millisecond || f.Chunks[1].Dir != Write {
		t.Errorf("chunks %+v", f.Chunks)
	}
	if got := string(f.Received()); got != "\x02+0015600019\x03" {
		t.Errorf("received %q", got)
	}
	got, _ := io.ReadAll(f.Playback())
	if string(got) != "\x02+0015600019\x03" {
		t.Errorf("playback %q", got)
	}
}

var parseCases = []struct {
	in string
	ok bool
}{
	{Magic + "\n# start x\n0.000000 r 02\n0.100000 w 5349\n", true},
	{Magic + "\n\n", true},
	{"not a capture\n", false},
	{"", false},
	{Magic + "\n0.1 x 02\n", false},
	{Magic + "\n0.1 r 0\n", false},
	{Magic + "\n0.2 r 02\n0.1 r 03\n", false},
	{Magic + "\n-1 r 02\n", false},
	{Magic + "\n0.1 r\n", false},
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseCases {
		if _, err := Parse(strings.NewReader(c.in)); (err == nil) != c.ok {
			t.Errorf("Parse(%q) error %v, want ok=%v", c.in, err, c.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Parse(bytes.NewReader(in))
		if err != nil {
			return
		}
		// What parses re-records to a file that parses to the same chunks.
		var buf bytes.Buffer
		i := 0
		var at time.Duration
		r := NewRecorder(&buf, func() time.Time { return time.Unix(0, 0).Add(at) })
		for ; i < len(file.Chunks); i++ {
			at = file.Chunks[i].At
			r.Record(file.Chunks[i].Dir, file.Chunks[i].Data)
		}
		r.Flush()
		again, err := Parse(&buf)
		if err != nil {
			t.Fatalf("re-recorded capture does not parse: %v", err)
		}
		if len(again.Chunks) != len(file.Chunks) || !bytes.Equal(again.Received(), file.Received()) {
			t.Fatalf("round trip changed the chunks")
		}
	})
}
