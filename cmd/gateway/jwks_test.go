package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// TestGatewayAcceptsCallerTokensFromAJWKS runs the whole binary with only a
// JWKS URL for caller keys: a token whose kid the provider publishes is
// served, one whose kid it does not publish is refused with 401.
func TestGatewayAcceptsCallerTokensFromAJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: "idp-2026", ALG: jwkset.AlgRS256, USE: jwkset.UseSig},
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fetches := 0
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		fetches++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	}))
	t.Cleanup(idp.Close)

	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_JWT_SECRET"] = ""
	env["SWITCHBOARD_JWT_JWKS_URL"] = idp.URL + "/.well-known/jwks.json"
	g := startGateway(t, env)

	mint := func(kid string) string {
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"sub": "crm", "tenant": "acme", "aud": "switchboard", "scope": "campaigns:read",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if resp, body := g.get(t, "/v1/companies", mint("idp-2026")); resp.StatusCode != http.StatusOK {
		t.Fatalf("published kid: got status %d, want 200; body %s", resp.StatusCode, body)
	}
	resp, body := g.get(t, "/v1/companies", mint("not-published"))
	p := problem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	if p["detail"] != "token signing key is unknown" {
		t.Errorf("got detail %v, want %q", p["detail"], "token signing key is unknown")
	}
	mu.Lock()
	defer mu.Unlock()
	if fetches != 1 {
		t.Errorf("got %d key set fetches, want 1 (at start-up; an unknown kid within the minute fetches nothing)", fetches)
	}
}
