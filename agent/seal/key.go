package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sitegate/agent/durable"
)

// KeyFile is the gateway's private key in its store folder: PKCS #8, PEM, mode 0600.
const KeyFile = "gateway.key"

// LoadKey reads the gateway's key from dir, making it at the first start (written through a
// synced temporary file, so a power cut leaves either no key or the whole key).
func LoadKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return makeKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("gateway key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("gateway key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("gateway key %s: %T is not an ed25519 key", path, k)
	}
	return ek, nil
}

// ReadPublicKey is the public key of the gateway whose store is dir, without making one.
func ReadPublicKey(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil {
		return "", fmt.Errorf("gateway key: %w (it is made at the agent's first start)", err)
	}
	k, err := LoadKey(dir)
	if err != nil {
		return "", err
	}
	return PublicKey(k), nil
}

// PublicKey writes k's public key as passages name it: base64 (standard, padded) of its 32
// bytes.
func PublicKey(k ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
}

func makeKey(path string) (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	if err := writeSynced(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	return k, nil
}

// writeSynced writes b to path through a synced temporary file and a rename, then syncs the
// folder.
func writeSynced(path string, b []byte, mode os.FileMode) error {
	return durable.WriteFile(path, b, mode)
}
