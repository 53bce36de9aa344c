package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealer encrypts secrets at rest with AES-256-GCM. A sealed value is
// "v1:" and the base64 of a random nonce followed by the ciphertext.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("store: the encryption key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: encryption key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

var errNoKey = errors.New("store: no encryption key configured")

func (s *sealer) seal(plain []byte, context string) (string, error) {
	if s == nil {
		return "", errNoKey
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return "v1:" + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(context))), nil
}

// open decrypts a sealed value; context must match the one it was sealed
// with (the row it belongs to), so a value copied to another row fails.
func (s *sealer) open(sealed, context string) ([]byte, error) {
	if s == nil {
		return nil, errNoKey
	}
	b64, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return nil, errors.New("store: sealed value has an unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, errors.New("store: sealed value is damaged")
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, errors.New("store: sealed value does not open with this encryption key")
	}
	return plain, nil
}
