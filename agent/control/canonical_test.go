package control

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// docCanonical is the canonical form as docs/control-plane.md describes it, written without
// encoding/json's encoder: keys sorted, no spaces, numbers as written, strings escaped only
// where JSON requires it (no HTML escaping of & < >).
func docCanonical(t *testing.T, v any, b *strings.Builder) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			docString(k, b)
			b.WriteByte(':')
			docCanonical(t, x[k], b)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			docCanonical(t, e, b)
		}
		b.WriteByte(']')
	case string:
		docString(x, b)
	case json.Number:
		b.WriteString(string(x))
	case bool:
		fmt.Fprint(b, x)
	case nil:
		b.WriteString("null")
	default:
		t.Fatalf("unexpected %T", v)
	}
}

func docString(s string, b *strings.Builder) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// TestCanonicalAsDocumented: a signer written from the docs alone, over a payload whose camera
// URL has & (and other characters Go escapes for HTML), makes a signature the gateway accepts.
func TestCanonicalAsDocumented(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tr, err := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	const topic = "sitegate/v1/s1/gw-01/config/desired"
	payload := `{"version":3,"expires_at":"2026-11-27T13:00:00Z","config":{"rules":{"overload":{"tolerance_kg":1.50}},` +
		`"lanes":[{"id":"exit-1","cameras":[{"id":"wheels","url":"http://cam/mjpg?a=1&b=<2>","note":"浙F \"q\" \\ \t"}]}]}}`
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	docCanonical(t, v, &body)
	if !strings.Contains(body.String(), "a=1&b=<2>") {
		t.Fatalf("the documented form keeps & < >: %s", body.String())
	}
	msg := SigContext + "\n" + topic + "\n" + body.String()
	sig := ed25519.Sign(priv, []byte(msg))
	signed := strings.TrimSuffix(payload, "}") + fmt.Sprintf(`,"sig":{"key":%q,"ed25519":%q}}`,
		base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(sig))
	if _, err := tr.Verify(topic, []byte(signed)); err != nil {
		t.Fatalf("a signature over the documented canonical form: %v", err)
	}
	got, _, err := Canonical(topic, []byte(signed))
	if err != nil || !bytes.Equal(got, []byte(msg)) {
		t.Fatalf("Canonical differs from the documented form:\n got %s\nwant %s", got, msg)
	}
	// What Sign makes verifies too.
	s2, err := Sign(priv, topic, []byte(payload), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Verify(topic, s2); err != nil {
		t.Fatal(err)
	}
}

// TestCanonicalLegacyForm: during the transition, a message signed over the old, HTML-escaped
// form (what earlier releases of sitegate ctl signed) still verifies; a tampered one does not.
func TestCanonicalLegacyForm(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const topic = "sitegate/v1/s1/gw-01/config/desired"
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	m := map[string]any{"version": 4, "expires_at": exp, "config": map[string]any{"lanes": []any{map[string]any{"id": "exit-1", "cameras": []any{map[string]any{"id": "w", "url": "http://cam/?a=1&b=2"}}}}}}
	old, err := json.Marshal(m) // sorted keys, & as \u0026
	if err != nil || !bytes.Contains(old, []byte(`\u0026`)) {
		t.Fatalf("%s %v", old, err)
	}
	sig := ed25519.Sign(priv, append([]byte(SigContext+"\n"+topic+"\n"), old...))
	m["sig"] = Signature{Key: base64.StdEncoding.EncodeToString(pub), Ed25519: base64.StdEncoding.EncodeToString(sig)}
	signed, _ := json.Marshal(m)
	if _, err := tr.Verify(topic, signed); err != nil {
		t.Fatalf("old form: %v", err)
	}
	tampered := bytes.Replace(signed, []byte("a=1"), []byte("a=9"), 1)
	if _, err := tr.Verify(topic, tampered); err == nil {
		t.Fatal("tampered old-form message verified")
	}
}
