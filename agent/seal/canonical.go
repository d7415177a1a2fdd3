package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// SignatureField is the member of a passage that the canonical form leaves out.
const SignatureField = "signature"

// Canonical is the canonical form of a published passage: the JSON object without its
// signature member, written as RFC 8785 (JCS) writes it: members sorted by the UTF-16 code
// units of their names, no whitespace, numbers as ECMAScript writes them, strings with only
// the escapes JSON requires. The signature covers these bytes; the chain hashes them.
func Canonical(published []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(published))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("passage: %w", err)
	}
	if d.More() {
		return nil, errors.New("passage: data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("passage: not a JSON object")
	}
	delete(obj, SignatureField)
	var b bytes.Buffer
	if err := writeJCS(&b, obj); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJCS(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return fmt.Errorf("passage: number %s: %w", x, err)
		}
		if f == 0 {
			f = 0 // -0 is written 0
		}
		// encoding/json writes a float64 as ECMAScript's Number.prototype.toString does.
		n, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("passage: number %s: %w", x, err)
		}
		b.Write(n)
	case string:
		writeString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJCS(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeJCS(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("passage: unexpected %T", v)
	}
	return nil
}

func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// writeString writes s as RFC 8785 does: " and \ escaped, \b \f \n \r \t for those controls,
// \u00xx (lower-case hex) for the other controls, everything else as it is, in UTF-8.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[r>>4])
				b.WriteByte(hex[r&0xf])
				continue
			}
			var buf [utf8.UTFMax]byte
			b.Write(buf[:utf8.EncodeRune(buf[:], r)])
		}
	}
	b.WriteByte('"')
}
