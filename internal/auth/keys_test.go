package auth

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
)

// TestThumbprintRSA checks the example of RFC 7638 §3.1.
func TestThumbprintRSA(t *testing.T) {
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		return b
	}
	rsaKey := &rsa.PublicKey{
		N: new(big.Int).SetBytes(b64("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")),
		E: 65537,
	}
	got, err := thumbprint(rsaKey)
	if err != nil {
		t.Fatalf("thumbprint: %v", err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("got RSA thumbprint %q, want %q", got, want)
	}
}

// TestThumbprintEC compares with a thumbprint built by encoding/json, which
// sorts map keys and writes no whitespace, as RFC 7638 §3 requires.
func TestThumbprintEC(t *testing.T) {
	pub := &loadTestKeys(t).ec.PublicKey
	point, err := pub.Bytes()
	if err != nil {
		t.Fatalf("encode point: %v", err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwk, err := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(jwk)
	got, err := thumbprint(pub)
	if err != nil {
		t.Fatalf("thumbprint: %v", err)
	}
	if want := b64(sum[:]); got != want {
		t.Errorf("got EC thumbprint %q, want %q", got, want)
	}
}
