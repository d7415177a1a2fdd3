package seal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"sitegate/agent/wire"
)

// ChainFile keeps the chain's head in the store folder: the seq and hash of the last passage
// stored, so the chain goes on across restarts.
const ChainFile = "chain.json"

// Link names a passage in the chain: its seq and the SHA-256 (hex) of its canonical form.
type Link struct {
	Seq    uint64 `json:"seq"`
	SHA256 string `json:"sha256"`
}

// Signer seals the passages of one gateway. Safe for concurrent use; passages sealed inside
// one Store call are chained in the order they are stored.
type Signer struct {
	key  ed25519.PrivateKey
	pub  string
	path string

	mu   sync.Mutex
	head Link
}

// Open loads (or makes) the gateway's key in dir and reads the chain's head.
func Open(dir string) (*Signer, error) {
	k, err := LoadKey(dir)
	if err != nil {
		return nil, err
	}
	s := &Signer{key: k, pub: PublicKey(k), path: filepath.Join(dir, ChainFile)}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("passage chain: %w", err)
	default:
		if err := json.Unmarshal(b, &s.head); err != nil {
			// A damaged head starts a new chain: the break shows where it happened.
			s.head = Link{}
		}
	}
	return s, nil
}

// PublicKey is the gateway's public key, base64.
func (s *Signer) PublicKey() string { return s.pub }

// Head is the last passage stored.
func (s *Signer) Head() Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Store runs store with a seal function, holding the chain: seal links a passage to the head,
// signs it and returns its published JSON. When store returns nil, the last passage sealed
// becomes the head (synced to disk); when it fails (the passage was not stored), the head
// stays, so the next passage names the last one stored and a lost seq shows as a gap.
func (s *Signer) Store(store func(seal func(p *wire.Passage) ([]byte, error)) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next Link
	err := store(func(p *wire.Passage) ([]byte, error) {
		p.PrevSeq, p.PrevSHA256 = s.head.Seq, s.head.SHA256
		body, sum, err := s.sign(p)
		if err != nil {
			return nil, err
		}
		next = Link{Seq: p.Seq, SHA256: sum}
		return body, nil
	})
	if err != nil || next.SHA256 == "" {
		return err
	}
	s.head = next
	b, _ := json.Marshal(next)
	if werr := writeSynced(s.path, b, 0o640); werr != nil {
		return fmt.Errorf("%w: %w", ErrHeadNotSaved, werr)
	}
	return nil
}

// ErrHeadNotSaved is returned (wrapped) by Store when the passage was stored but the chain's
// head could not be written: the chain goes on in memory, and after a restart the next
// passage names the head written before.
var ErrHeadNotSaved = errors.New("passage chain: head not saved")

// Sign signs p as it is (an amendment keeps the links of the passage it amends) and returns
// its published JSON.
func (s *Signer) Sign(p *wire.Passage) ([]byte, error) {
	body, _, err := s.sign(p)
	return body, err
}

func (s *Signer) sign(p *wire.Passage) (body []byte, sum string, err error) {
	p.Signature = nil
	b, err := json.Marshal(p)
	if err != nil {
		return nil, "", err
	}
	c, err := Canonical(b)
	if err != nil {
		return nil, "", err
	}
	h := sha256.Sum256(c)
	p.Signature = &wire.Signature{Alg: wire.SignatureAlg, Key: s.pub,
		Value: base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, c))}
	body, err = json.Marshal(p)
	if err != nil {
		return nil, "", err
	}
	return body, hex.EncodeToString(h[:]), nil
}
