package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// encryptionKeySize is the length of the key a sealed store takes: AES-256,
// the decoded SWITCHBOARD_ENCRYPTION_KEY.
const encryptionKeySize = 32

// sealedFormat is the first byte of every sealed value. It names the layout
// that follows (AES-256-GCM, 12-byte random nonce, then ciphertext and
// 16-byte tag), so that a later layout can be told apart and read without
// guessing.
const sealedFormat byte = 1

// errUnsealable reports a value that does not open with this key: written
// under another key (a rotation), tampered with, moved from another Redis
// key, or not a sealed value at all. It deliberately says nothing else, so
// that no part of the value reaches a log.
var errUnsealable = errors.New("cache: sealed value does not open with this key")

// sealer encrypts values at rest with AES-256-GCM. Every seal draws a fresh
// random 96-bit nonce (crypto/rand), which is safe for the 2^32 messages a
// GCM key may encrypt with random nonces: a token is written once per login
// or refresh, many orders of magnitude fewer.
//
// The additional data binds a ciphertext to where it is stored (the Redis
// key name), so a value copied under another key, say another tenant's,
// fails to open instead of being served as that tenant's token.
//
// A sealer is immutable and safe for concurrent use.
type sealer struct {
	aead cipher.AEAD
}

// newSealer returns a sealer for a key of exactly encryptionKeySize bytes.
// The key is expanded into the cipher and not retained. Errors never quote
// the key.
func newSealer(key []byte) (sealer, error) {
	if len(key) != encryptionKeySize {
		return sealer{}, fmt.Errorf("cache: encryption key is %d bytes, want %d", len(key), encryptionKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("cache: encryption key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return sealer{}, fmt.Errorf("cache: encryption key: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts plaintext bound to aad and returns
// sealedFormat || nonce || ciphertext || tag.
func (s sealer) seal(plaintext, aad []byte) []byte {
	out := make([]byte, 1, 1+len(plaintext)+s.aead.Overhead())
	out[0] = sealedFormat
	return s.aead.Seal(out, nil, plaintext, aad)
}

// open reverses seal. Any failure, whatever its cause, is errUnsealable.
func (s sealer) open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+s.aead.Overhead() || sealed[0] != sealedFormat {
		return nil, errUnsealable
	}
	plaintext, err := s.aead.Open(nil, nil, sealed[1:], aad)
	if err != nil {
		return nil, errUnsealable
	}
	return plaintext, nil
}
