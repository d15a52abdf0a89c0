package cache

import (
	"bytes"
	"errors"
	"testing"
)

func testSealer(t *testing.T, fill byte) sealer {
	t.Helper()
	s, err := newSealer(bytes.Repeat([]byte{fill}, encryptionKeySize))
	if err != nil {
		t.Fatalf("newSealer: %v", err)
	}
	return s
}

func TestSealerRoundTrip(t *testing.T) {
	s := testSealer(t, 1)
	for _, plain := range []string{"", "x", "a longer token value with some length to it"} {
		sealed := s.seal([]byte(plain), []byte("where"))
		// Only a plaintext long enough not to turn up in random bytes by
		// chance can be looked for in the sealed output.
		if len(plain) >= 8 && bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("sealed %q contains the plaintext", plain)
		}
		got, err := s.open(sealed, []byte("where"))
		if err != nil || string(got) != plain {
			t.Errorf("open(seal(%q)) = %q, %v; want %q, nil", plain, got, err, plain)
		}
	}
}

func TestSealerDrawsAFreshNonceEachTime(t *testing.T) {
	s := testSealer(t, 1)
	a := s.seal([]byte("same"), []byte("k"))
	b := s.seal([]byte("same"), []byte("k"))
	if bytes.Equal(a, b) {
		t.Fatal("got the same ciphertext twice for one plaintext, want distinct nonces")
	}
}

func TestSealerOpenRejects(t *testing.T) {
	s := testSealer(t, 1)
	sealed := s.seal([]byte("secret"), []byte("k"))
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		sealer sealer
		sealed []byte
		aad    string
	}{
		{"a value sealed under another key is rejected", testSealer(t, 2), sealed, "k"},
		{"a value bound to another name is rejected", s, sealed, "other"},
		{"a flipped format byte is rejected", s, flip(0), "k"},
		{"a flipped nonce bit is rejected", s, flip(1), "k"},
		{"a flipped tag bit is rejected", s, flip(len(sealed) - 1), "k"},
		{"a truncated value is rejected", s, sealed[:len(sealed)-1], "k"},
		{"an empty value is rejected", s, nil, "k"},
		{"a value in clear is rejected", s, []byte("secret"), "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.open(tt.sealed, []byte(tt.aad))
			if !errors.Is(err, errUnsealable) || got != nil {
				t.Fatalf("open = %q, %v; want nil, errUnsealable", got, err)
			}
		})
	}
}

func TestNewSealerRejectsAKeyOfTheWrongSize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := newSealer(make([]byte, n)); err == nil {
			t.Errorf("newSealer(%d bytes): got nil error, want one", n)
		}
	}
}
