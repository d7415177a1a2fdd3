package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/wire"
)

var canonicalCases = []struct{ in, want string }{
	{`{"b":1,"a":"x"}`, `{"a":"x","b":1}`},
	{`{ "n": 1.50, "big": 1e21, "small": 0.000001, "tiny": 1e-7, "neg": -0.0, "i": 42 }`,
		`{"big":1e+21,"i":42,"n":1.5,"neg":0,"small":0.000001,"tiny":1e-7}`},
	{`{"s":"苏A99999 <&> \u0007 \n \"q\" \\ \u00e9"}`, `{"s":"苏A99999 <&> \u0007 \n \"q\" \\ é"}`},
	{`{"signature":{"alg":"ed25519"},"z":[true,false,null,{"y":2,"x":1}]}`, `{"z":[true,false,null,{"x":1,"y":2}]}`},
	// RFC 8785 sorts by UTF-16 code units: U+E000 comes after U+1F600 (a surrogate pair).
	{`{"\ue000":1,"😀":2,"a":3}`, `{"a":3,"😀":2,"` + "\ue000" + `":1}`},
}

func TestCanonical(t *testing.T) {
	for _, c := range canonicalCases {
		got, err := Canonical([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`[1]`, `{"a":1} {}`, `{"a":`, `"x"`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Canonical(b)
		if err != nil {
			return
		}
		// The canonical form is its own canonical form.
		again, err := Canonical(c)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("canonical of %q is %q, then %q (%v)", b, c, again, err)
		}
	})
}

func passage(seq uint64) *wire.Passage {
	return &wire.Passage{Schema: wire.PassageSchema, ID: "id-" + string(rune('a'+seq)), Seq: seq, Site: "s", Gateway: "g",
		Plate:    &wire.PlateInfo{Text: "苏A99999", Confidence: 0.97},
		Evidence: []wire.EvidenceInfo{{Name: "wheels.jpg", Camera: "wheels", Bytes: 5, SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", Also: []string{"wheels-mud.jpg"}}}}
}

func store(t *testing.T, s *Signer, p *wire.Passage, fail error) []byte {
	t.Helper()
	var body []byte
	err := s.Store(func(seal func(*wire.Passage) ([]byte, error)) error {
		var err error
		body, err = seal(p)
		if err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) {
		t.Fatal(err)
	}
	return body
}

func TestSignVerifyChain(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", fi, err)
	}
	var checked []Checked
	b1 := store(t, s, passage(1), nil)
	b2 := store(t, s, passage(2), nil)
	store(t, s, passage(3), errors.New("not stored")) // the chain does not move
	// A restart goes on from the head on disk, with the same key.
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s2.PublicKey() != s.PublicKey() || s2.Head().Seq != 2 {
		t.Fatalf("reopened: key %s head %+v", s2.PublicKey(), s2.Head())
	}
	b4 := store(t, s2, passage(4), nil)
	for _, b := range [][]byte{b1, b2, b4} {
		c, err := Verify(b, s.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		checked = append(checked, c)
	}
	if err := checked[0].VerifyFile("wheels-mud.jpg", []byte("hello")); err != nil {
		t.Errorf("alias: %v", err)
	}
	if err := checked[0].VerifyFile("wheels.jpg", []byte("hellp")); !errors.Is(err, ErrInvalid) {
		t.Errorf("changed file: %v", err)
	}
	if gaps := Chain(checked[:2]); len(gaps) != 0 {
		t.Errorf("gaps %v", gaps)
	}
	// Seq 3 was never stored: 4 names 2, and nothing is missing.
	if gaps := Chain(checked); len(gaps) != 0 {
		t.Errorf("gaps %v", gaps)
	}
	// Removing seq 2 shows.
	if gaps := Chain([]Checked{checked[0], checked[2]}); len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "missing") {
		t.Errorf("gaps %v, want seq 2 missing", gaps)
	}
	// Any change to the signed JSON, a re-encoding that keeps its meaning aside, is refused.
	var m map[string]any
	_ = json.Unmarshal(b1, &m)
	again, _ := json.MarshalIndent(m, "", "  ")
	if _, err := Verify(again, ""); err != nil {
		t.Errorf("re-encoded: %v", err)
	}
	tampered := bytes.Replace(b1, []byte("苏A99999"), []byte("苏A99998"), 1)
	if _, err := Verify(tampered, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("tampered: %v", err)
	}
	other, _ := Open(t.TempDir())
	if _, err := Verify(b1, other.PublicKey()); !errors.Is(err, ErrInvalid) {
		t.Errorf("other key: %v", err)
	}
	var p wire.Passage
	_ = json.Unmarshal(b1, &p)
	p.Signature = nil
	unsigned, _ := json.Marshal(p)
	if _, err := Verify(unsigned, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("unsigned: %v", err)
	}
}
