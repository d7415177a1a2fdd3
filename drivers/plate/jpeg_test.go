package plate

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"
)

func smallJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestValidJPEG(t *testing.T) {
	j := smallJPEG(t)
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"jpeg", j, true},
		{"zero padded", append(append([]byte{}, j...), 0, 0, 0), true},
		{"magic only", []byte("\xff\xd8\xff\xe0 not a picture \xff\xd9"), false},
		{"soi eoi", []byte("\xff\xd8\xff\xd9"), false},
		{"cut short", j[:len(j)-10], false},
		{"no soi", j[2:], false},
		{"png", []byte("\x89PNG\r\n\x1a\n0000"), false},
		{"empty", nil, false},
		{"zeros", make([]byte, 64), false},
	} {
		if got := ValidJPEG(tc.b); got != tc.want {
			t.Errorf("%s: ValidJPEG = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzValidJPEG(f *testing.F) {
	f.Add(smallJPEG(f))
	f.Add([]byte("\xff\xd8\xff\xd9"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ValidJPEG(b) {
			if _, err := jpeg.DecodeConfig(bytes.NewReader(bytes.TrimRight(b, "\x00"))); err != nil {
				t.Fatalf("valid JPEG whose header does not decode: %v", err)
			}
		}
	})
}

func TestCheckTime(t *testing.T) {
	now := time.Date(2026, 11, 27, 21, 14, 5, 0, time.UTC)
	for _, tc := range []struct {
		t  time.Time
		ok bool
	}{
		{now, true},
		{now.Add(23 * time.Hour), true},
		{now.Add(25 * time.Hour), false},
		{now.AddDate(0, -11, 0), true},
		{now.AddDate(-1, 0, -1), false},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), false},
	} {
		if err := CheckTime(tc.t, now); (err == nil) != tc.ok {
			t.Errorf("CheckTime(%v) = %v, want ok %v", tc.t, err, tc.ok)
		}
	}
}
