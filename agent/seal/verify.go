package seal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"sitegate/agent/wire"
)

// Checked is a passage whose signature is valid.
type Checked struct {
	ID         string
	Seq        uint64
	Revision   int
	PrevSeq    uint64
	PrevSHA256 string
	// SHA256 is the hash of its canonical form: what the next passage's prev_sha256 names.
	SHA256   string
	Key      string
	Evidence []wire.EvidenceInfo
}

// ErrInvalid is wrapped by every verification failure.
var ErrInvalid = errors.New("invalid")

// Verify checks the signature of a published passage. With key set (base64), the passage
// must be signed by that key; with key empty, by the key it names.
func Verify(published []byte, key string) (Checked, error) {
	var p wire.Passage
	if err := json.Unmarshal(published, &p); err != nil {
		return Checked{}, fmt.Errorf("%w: not a passage: %v", ErrInvalid, err)
	}
	s := p.Signature
	if s == nil {
		return Checked{}, fmt.Errorf("%w: the passage is not signed", ErrInvalid)
	}
	if s.Alg != wire.SignatureAlg {
		return Checked{}, fmt.Errorf("%w: signature algorithm %q, want %s", ErrInvalid, s.Alg, wire.SignatureAlg)
	}
	if key != "" && key != s.Key {
		return Checked{}, fmt.Errorf("%w: signed by key %s, not by %s", ErrInvalid, s.Key, key)
	}
	pub, err := base64.StdEncoding.DecodeString(s.Key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return Checked{}, fmt.Errorf("%w: signature key %q is not a base64 ed25519 public key", ErrInvalid, s.Key)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Value)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Checked{}, fmt.Errorf("%w: signature value is not a base64 ed25519 signature", ErrInvalid)
	}
	c, err := Canonical(published)
	if err != nil {
		return Checked{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !ed25519.Verify(pub, c, sig) {
		return Checked{}, fmt.Errorf("%w: the signature does not match the passage (altered, or not signed by key %s)", ErrInvalid, s.Key)
	}
	h := sha256.Sum256(c)
	return Checked{ID: p.ID, Seq: p.Seq, Revision: p.Revision, PrevSeq: p.PrevSeq, PrevSHA256: p.PrevSHA256,
		SHA256: hex.EncodeToString(h[:]), Key: s.Key, Evidence: p.Evidence}, nil
}

// Lookup finds the evidence entry a file name stands for: its name, or one of its also.
func (c Checked) Lookup(name string) (wire.EvidenceInfo, bool) {
	for _, e := range c.Evidence {
		if e.Name == name || slices.Contains(e.Also, name) {
			return e, true
		}
	}
	return wire.EvidenceInfo{}, false
}

// VerifyFile checks that a file of the passage has the size and SHA-256 the passage lists.
func (c Checked) VerifyFile(name string, b []byte) error {
	e, ok := c.Lookup(name)
	if !ok {
		return fmt.Errorf("%w: %s is not evidence of passage %s", ErrInvalid, name, c.ID)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != e.SHA256 || len(b) != e.Bytes {
		return fmt.Errorf("%w: %s: %d bytes, sha256 %s; the signed passage lists %d bytes, sha256 %s", ErrInvalid, name, len(b), got, e.Bytes, e.SHA256)
	}
	return nil
}

// Gap is a break in a gateway's chain: the passages between After and Before (exclusive) are
// missing, or Before does not name After's hash.
type Gap struct {
	After, Before uint64
	Reason        string
}

func (g Gap) String() string {
	return fmt.Sprintf("between seq %d and seq %d: %s", g.After, g.Before, g.Reason)
}

// Chain checks the links of passages of one gateway (first revisions; amendments repeat the
// links of the passage they amend): each passage must name the previous one present by seq
// and hash. It returns the breaks, in seq order. The first passage's predecessor may be
// outside the set (an archive's oldest passages go first) and is not a break.
func Chain(ps []Checked) []Gap {
	var firsts []Checked
	for _, p := range ps {
		if p.Revision == 0 {
			firsts = append(firsts, p)
		}
	}
	sort.Slice(firsts, func(a, b int) bool { return firsts[a].Seq < firsts[b].Seq })
	var gaps []Gap
	for i := 1; i < len(firsts); i++ {
		prev, cur := firsts[i-1], firsts[i]
		switch {
		case prev.Seq == cur.Seq:
			gaps = append(gaps, Gap{prev.Seq, cur.Seq, "two passages with the same seq (" + prev.ID + ", " + cur.ID + ")"})
		case cur.PrevSeq > prev.Seq:
			gaps = append(gaps, Gap{prev.Seq, cur.Seq, fmt.Sprintf("seq %d names seq %d as the passage before it, which is missing", cur.Seq, cur.PrevSeq)})
		case cur.PrevSeq < prev.Seq:
			gaps = append(gaps, Gap{prev.Seq, cur.Seq, fmt.Sprintf("seq %d names seq %d as the passage before it, not seq %d", cur.Seq, cur.PrevSeq, prev.Seq)})
		case cur.PrevSHA256 != prev.SHA256:
			gaps = append(gaps, Gap{prev.Seq, cur.Seq, fmt.Sprintf("seq %d names another passage %d (sha256 %s) than the one present (%s)", cur.Seq, cur.PrevSeq, short(cur.PrevSHA256), short(prev.SHA256))})
		}
	}
	return gaps
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
