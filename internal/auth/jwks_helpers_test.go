package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// fakeIdP serves a JWKS that a test changes as an identity provider would:
// keys published and withdrawn, the endpoint failing. It counts requests.
type fakeIdP struct {
	srv *httptest.Server

	mu       sync.Mutex
	keys     []jwkset.JWKMarshal
	status   int // 0 means 200
	requests int
}

// newFakeIdP starts the server; it is closed when the test ends.
func newFakeIdP(t *testing.T, keys ...jwkset.JWKMarshal) *fakeIdP {
	t.Helper()
	idp := &fakeIdP{keys: keys}
	idp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		idp.mu.Lock()
		defer idp.mu.Unlock()
		idp.requests++
		if idp.status != 0 {
			http.Error(w, "unavailable", idp.status)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: idp.keys})
	}))
	t.Cleanup(idp.srv.Close)
	return idp
}

// publish replaces the served keys.
func (idp *fakeIdP) publish(keys ...jwkset.JWKMarshal) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.keys = keys
}

// fail makes the endpoint answer status (0 restores 200).
func (idp *fakeIdP) fail(status int) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.status = status
}

// count returns the number of requests served.
func (idp *fakeIdP) count() int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.requests
}

// jwkOf returns the public JWK of pub with kid and alg (alg may be empty).
func jwkOf(t testing.TB, pub any, kid string, alg jwkset.ALG) jwkset.JWKMarshal {
	t.Helper()
	k, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: alg, USE: jwkset.UseSig}})
	if err != nil {
		t.Fatalf("JWK of %T: %v", pub, err)
	}
	return k.Marshal()
}

// octJWK returns a symmetric ("oct") JWK holding secret, which no JWKS key
// may ever turn into an HS256 key.
func octJWK(kid string, secret []byte) jwkset.JWKMarshal {
	return jwkset.JWKMarshal{KTY: jwkset.KtyOct, KID: kid, K: base64.RawURLEncoding.EncodeToString(secret)}
}

// longLived returns claims valid for two days from testNow, so that tests
// may move the clock across refreshes without the token expiring.
func longLived() jwt.MapClaims {
	return with(map[string]any{"exp": testNow.Add(48 * time.Hour).Unix()})
}

// jwksVerifier builds a Verifier on idp with the test clock and no
// verification cache, so every Verify reaches the key function.
func jwksVerifier(t *testing.T, idp *fakeIdP, now func() time.Time, edit func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{JWKSURL: idp.srv.URL, Now: now, CacheSize: -1}
	if edit != nil {
		edit(&cfg)
	}
	return mustVerifier(t, cfg)
}

// wantAccepted fails the test when token is refused.
func wantAccepted(t *testing.T, v *Verifier, token string) {
	t.Helper()
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("got error %v, want the token accepted", err)
	}
}
