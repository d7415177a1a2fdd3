package plate

import (
	"errors"
	"strings"
	"testing"
)

var plateCases = []struct {
	in, want string
	why      string // part of the error, when invalid
}{
	{in: "浙F12345", want: "浙F12345"},
	{in: "  浙f12345 ", want: "浙F12345"},
	{in: "浙F·12345", want: "浙F12345"},
	{in: "浙F•12345", want: "浙F12345"},
	{in: "浙F-123 45", want: "浙F12345"},
	{in: "京AD12345", want: "京AD12345"}, // new energy, 8 characters
	{in: "粤bf12345", want: "粤BF12345"}, // new energy, lower case
	{in: "沪A1234挂", want: "沪A1234挂"},   // trailer
	{in: "苏E1234学", want: "苏E1234学"},   // learner
	{in: "京A1234警", want: "京A1234警"},   // police
	{in: "粤Z1234港", want: "粤Z1234港"},   // Hong Kong
	{in: "粤Z1234澳", want: "粤Z1234澳"},   // Macau
	{in: "沪A1234领", want: "沪A1234领"},   // consulate
	{in: "川A1234试", want: "川A1234试"},   // test
	{in: "鲁B1234超", want: "鲁B1234超"},   // over-limit
	{in: "琼IZZZZZ", want: "琼IZZZZZ"},   // I is a valid issuing letter
	{in: "", why: "empty"},
	{in: " · - ", why: "empty"},
	{in: "浙F1234", why: "want 7 or 8"},
	{in: "浙F1234567", why: "want 7 or 8"},
	{in: "X浙F12345", why: "military"},
	{in: "港F12345", why: "province"},
	{in: "AF12345", why: "military"},
	{in: "VA12345X", why: "military"},
	{in: "使123456", why: "embassy"},
	{in: "浙112345", why: "second character"},
	{in: "浙FI2345", why: "character 3"},
	{in: "浙F1234O", why: "character 7"},
	{in: "浙F12345挂", why: "4 characters before it"},
	{in: "浙F123挂", why: "want 7 or 8"},
	{in: "浙F12_45", why: "character 5"},
	{in: "浙F１2345", why: "character 3"}, // full-width digit
	{in: "浙F1234\xff", why: "UTF-8"},
}

func TestNormalizePlate(t *testing.T) {
	for _, tc := range plateCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizePlate(tc.in)
			if tc.why == "" {
				if err != nil || got != tc.want {
					t.Fatalf("NormalizePlate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizePlate(%q) = %q, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrInvalidPlate) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("NormalizePlate(%q) error %q, want ErrInvalidPlate mentioning %q", tc.in, err, tc.why)
			}
		})
	}
}

func FuzzNormalizePlate(f *testing.F) {
	for _, tc := range plateCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePlate(s)
		if err != nil {
			return
		}
		again, err := NormalizePlate(p)
		if err != nil || again != p {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, p, again, err)
		}
		if n := len([]rune(p)); n < 7 || n > 8 {
			t.Fatalf("%q accepted with %d runes", p, n)
		}
		if strings.ContainsAny(p, separators) || strings.ToUpper(p) != p {
			t.Fatalf("%q not normalized", p)
		}
	})
}

func TestVendorPlate(t *testing.T) {
	cases := []struct {
		in, plate, colour string
		none, bad         bool
	}{
		{in: "蓝苏A8HK52", plate: "苏A8HK52", colour: "blue"},
		{in: "黄浙F12345", plate: "浙F12345", colour: "yellow"},
		{in: "黄绿粤BD12345", plate: "粤BD12345", colour: "yellow-green"},
		{in: "绿粤BD12345", plate: "粤BD12345", colour: "green"},
		{in: "苏A8HK52", plate: "苏A8HK52"},
		{in: "粤Z9065澳", plate: "粤Z9065澳"},
		{in: "粤Z1234港", plate: "粤Z1234港"},
		{in: "皖AD12345", plate: "皖AD12345"},
		// 黑 is also Heilongjiang: a valid plate is never cut.
		{in: "黑A12345", plate: "黑A12345"},
		{in: "_无_", none: true},
		{in: "无车牌", none: true},
		{in: "unknown", none: true},
		{in: "  ", none: true},
		{in: "蓝XYZ", bad: true},
		{in: "ABC1234", bad: true},
	}
	for _, c := range cases {
		p, col, err := VendorPlate(c.in)
		switch {
		case c.none:
			if !errors.Is(err, ErrNoPlate) || !errors.Is(err, ErrInvalidPlate) {
				t.Errorf("%q: %q, %v; want no plate", c.in, p, err)
			}
		case c.bad:
			if err == nil || errors.Is(err, ErrNoPlate) {
				t.Errorf("%q: %q, %v; want an invalid plate", c.in, p, err)
			}
		default:
			if err != nil || p != c.plate || col != c.colour {
				t.Errorf("%q: %q %q %v; want %q %q", c.in, p, col, err, c.plate, c.colour)
			}
		}
	}
}
