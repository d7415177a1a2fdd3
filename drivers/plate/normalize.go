package plate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidPlate is wrapped by every NormalizePlate error.
var ErrInvalidPlate = errors.New("invalid plate")

// provinces are the first characters of civilian Chinese plates.
const provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// suffixes end special plates: trailer, learner, police, Hong Kong, Macau, consulate, test,
// and over-limit vehicles.
const suffixes = "挂学警港澳领试超"

// separators are dropped before validation; cameras and people insert them freely.
const separators = " ·•-"

// NormalizePlate trims s, drops separators (space, '·', '•', '-'), upper-cases Latin letters and
// checks that the result is a civilian Chinese plate: a province abbreviation, a letter A-Z, then
// five characters from [A-HJ-NP-Z0-9] (six for new-energy plates), or four such characters and one
// of 挂学警港澳领试超. Military and embassy plates are rejected.
func NormalizePlate(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidPlate)
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case strings.ContainsRune(separators, r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	p := b.String()
	if p == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPlate)
	}
	rs := []rune(p)
	if n := len(rs); n < 7 || n > 8 {
		return "", fmt.Errorf("%w: %q has %d characters, want 7 or 8", ErrInvalidPlate, p, n)
	}
	if strings.ContainsRune("使领", rs[0]) || (rs[0] >= 'A' && rs[0] <= 'Z') {
		return "", fmt.Errorf("%w: %q: military and embassy plates are not supported", ErrInvalidPlate, p)
	}
	if !strings.ContainsRune(provinces, rs[0]) {
		return "", fmt.Errorf("%w: %q: %q is not a province abbreviation", ErrInvalidPlate, p, rs[0])
	}
	if rs[1] < 'A' || rs[1] > 'Z' {
		return "", fmt.Errorf("%w: %q: second character %q is not a letter A-Z", ErrInvalidPlate, p, rs[1])
	}
	body := rs[2:]
	last := body[len(body)-1]
	if strings.ContainsRune(suffixes, last) {
		if len(body) != 5 {
			return "", fmt.Errorf("%w: %q: a plate ending in %q has 4 characters before it", ErrInvalidPlate, p, last)
		}
		body = body[:4]
	}
	for i, r := range body {
		if !serialChar(r) {
			return "", fmt.Errorf("%w: %q: character %d (%q) is not one of A-H J-N P-Z 0-9", ErrInvalidPlate, p, i+3, r)
		}
	}
	return p, nil
}

// serialChar reports whether r may appear in a plate's serial: digits and letters except I and O.
func serialChar(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z' && r != 'I' && r != 'O')
}

// colourWords are the colour words some firmwares (Hikvision's Chinese ones) put in front of the
// plate, as in 蓝苏A8HK52; longest first, so 黄绿 is not read as 黄.
var colourWords = []string{"黄绿", "渐变绿", "蓝", "黄", "绿", "白", "黑"}

// placeholders are what cameras send instead of a plate when they saw none.
var placeholders = []string{"_无_", "无车牌", "无牌", "无", "unknown", "none", "未识别", "车牌"}

// ErrNoPlate is returned by VendorPlate for a camera's "no plate" placeholder: the camera saw
// a vehicle without reading a plate. It wraps ErrInvalidPlate.
var ErrNoPlate = fmt.Errorf("%w: the camera read no plate", ErrInvalidPlate)

// VendorPlate normalises the plate text of a vendor's read (CONTRACT 7): a placeholder (`_无_`,
// `无车牌`, `unknown`, empty) is ErrNoPlate; a colour word in front of a plate (`蓝苏A8HK52`) is
// removed; the rest is NormalizePlate's. It returns the colour the word named (section 3's
// names), or "".
func VendorPlate(s string) (plate, colour string, err error) {
	t := strings.TrimSpace(s)
	for _, p := range placeholders {
		if strings.EqualFold(t, p) {
			return "", "", ErrNoPlate
		}
	}
	if t == "" {
		return "", "", ErrNoPlate
	}
	if p, err := NormalizePlate(t); err == nil {
		return p, "", nil
	}
	for _, w := range colourWords {
		if rest, ok := strings.CutPrefix(t, w); ok {
			if p, err := NormalizePlate(rest); err == nil {
				return p, ColourOfWord(w), nil
			}
		}
	}
	p, err := NormalizePlate(t)
	return p, "", err
}

// ColourOfWord maps a Chinese colour word to section 3's colour names; "" when it is none.
func ColourOfWord(w string) string {
	switch w {
	case "蓝":
		return "blue"
	case "黄":
		return "yellow"
	case "绿", "渐变绿":
		return "green"
	case "黄绿":
		return "yellow-green"
	case "白":
		return "white"
	case "黑":
		return "black"
	}
	return ""
}
