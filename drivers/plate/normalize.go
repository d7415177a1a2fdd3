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
