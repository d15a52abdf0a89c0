package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// testSecret is the HS256 secret of the tests; at least MinHMACSecretBytes.
const testSecret domain.Secret = "0123456789abcdef0123456789abcdef-test"

// testNow is the fixed instant the tests' clocks start at.
var testNow = time.Unix(1_700_000_000, 0).UTC()

// testKeys holds keys generated once per test binary: RSA 2048 is slow to
// generate and the package has many cases.
type testKeys struct {
	rsa1, rsa2, rsaOther *rsa.PrivateKey
	ec, ecOther          *ecdsa.PrivateKey
}

var generateTestKeys = sync.OnceValues(func() (testKeys, error) {
	var (
		k   testKeys
		err error
	)
	for _, dst := range []**rsa.PrivateKey{&k.rsa1, &k.rsa2, &k.rsaOther} {
		if *dst, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return k, err
		}
	}
	for _, dst := range []**ecdsa.PrivateKey{&k.ec, &k.ecOther} {
		if *dst, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return k, err
		}
	}
	return k, nil
})

// loadTestKeys returns the shared test keys, generating them on first use.
func loadTestKeys(t testing.TB) testKeys {
	t.Helper()
	k, err := generateTestKeys()
	if err != nil {
		t.Fatalf("generate test keys: %v", err)
	}
	return k
}

// pkixPEM returns pub as a "PUBLIC KEY" PEM block.
func pkixPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// baseClaims returns claims that a default Verifier accepts at testNow.
func baseClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":    "billing-app",
		"tenant": "acme",
		"aud":    "switchboard",
		"exp":    testNow.Add(time.Hour).Unix(),
		"iat":    testNow.Unix(),
		"scope":  "calls:read lookups:read",
		"jti":    "token-1",
	}
}

// with returns baseClaims changed by edit; a nil value deletes the claim.
func with(edit map[string]any) jwt.MapClaims {
	c := baseClaims()
	for k, v := range edit {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign mints a token; kid, when non-empty, goes into the header.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

// mustVerifier builds a Verifier or fails the test.
func mustVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// fixedClock returns a clock reading testNow, and a setter for tests that
// move time.
func fixedClock() (now func() time.Time, set func(time.Time)) {
	var mu sync.Mutex
	cur := testNow
	return func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return cur
		}, func(t time.Time) {
			mu.Lock()
			defer mu.Unlock()
			cur = t
		}
}

// wantUnauthorized fails unless err is an unauthorized *domain.Error with
// message want that reveals nothing of token.
func wantUnauthorized(t *testing.T, err error, want, token string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %v (%T), want a *domain.Error", err, err)
	}
	if de.Code != domain.CodeUnauthorized {
		t.Errorf("got code %q, want %q", de.Code, domain.CodeUnauthorized)
	}
	if de.Message != want {
		t.Errorf("got message %q, want %q", de.Message, want)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q contains a segment of the token", err)
		}
	}
}
