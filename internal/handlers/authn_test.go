package handlers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
)

// TestEveryAuthRejection is SPEC §2's rejection list in one table, against a
// gateway that accepts HS256 with a secret and RS256 with a public key.
func TestEveryAuthRejection(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, PublicKeysPEM: pubPEM, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t)
	g.Server, err = New(Config{
		Logger: slog.New(slog.NewJSONHandler(g.logs, nil)), Metrics: metrics.New(), Verifier: v,
		Tenants:     map[string]*Tenant{"acme": {ID: "acme", CallWidget: g.cw}},
		OpenAPIYAML: []byte("openapi: 3.1.0\n"), CursorKey: []byte(strings.Repeat("k", 32)),
	})
	if err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "app", "tenant": "acme", "aud": "switchboard",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "scope": "lookups:read"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hs := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(testSecret.Reveal()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil)).SignedString(pubPEM)
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil)).SignedString(rsaKey)
	badSig := hs(claims(nil))
	badSig = badSig[:len(badSig)-4] + "AAAA"

	tests := []struct {
		name   string
		header string
		status int
		slug   domain.Code
	}{
		{"a missing token is 401", "", 401, domain.CodeUnauthorized},
		{"a non-Bearer scheme is 401", "Basic dXNlcjpwYXNz", 401, domain.CodeUnauthorized},
		{"a malformed token is 401", "Bearer not.a.jwt", 401, domain.CodeUnauthorized},
		{"a bad signature is 401", "Bearer " + badSig, 401, domain.CodeUnauthorized},
		{"alg none is 401", "Bearer " + none, 401, domain.CodeUnauthorized},
		{"HS256 signed with the RSA public key is 401", "Bearer " + confused, 401, domain.CodeUnauthorized},
		{"an expired token is 401", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), 401, domain.CodeUnauthorized},
		{"a token not yet valid is 401", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), 401, domain.CodeUnauthorized},
		{"a wrong audience is 401", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["aud"] = "other" })), 401, domain.CodeUnauthorized},
		{"a missing tenant claim is 401", "Bearer " + hs(claims(func(c jwt.MapClaims) { delete(c, "tenant") })), 401, domain.CodeUnauthorized},
		{"an unknown tenant is 403", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["tenant"] = "ghost" })), 403, domain.CodeForbidden},
		{"a missing scope is 403", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["scope"] = "calls:read" })), 403, domain.CodeForbidden},
		{"a nbf within the 30 s leeway is accepted", "Bearer " + hs(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(20 * time.Second).Unix() })), 200, ""},
		{"an RS256 token is accepted", "Bearer " + rs, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := g.do(t, "GET", "/v1/tags", "", nil, "Authorization", tt.header)
			if tt.status == 200 {
				if rec.Code != 200 {
					t.Fatalf("status: got %d, want 200; body %s", rec.Code, rec.Body)
				}
				return
			}
			decodeProblem(t, rec, tt.status, tt.slug)
			if tt.status == 401 {
				checkChallenge(t, rec.Header().Get("WWW-Authenticate"), strings.HasPrefix(tt.header, "Bearer "))
			}
		})
	}
}

func TestTenantWithoutUpstreamIsUpstreamNotConfigured(t *testing.T) {
	g := newTestGateway(t)
	rec := g.do(t, "GET", "/v1/tags", token(t, "bare", auth.ScopeLookupsRead), nil)
	decodeProblem(t, rec, 403, domain.CodeUpstreamNotConfigured)
	rec = g.do(t, "GET", "/v1/companies", token(t, "bare", auth.ScopeCampaignsRead), nil)
	decodeProblem(t, rec, 403, domain.CodeUpstreamNotConfigured)
}

// checkChallenge checks a 401's WWW-Authenticate (RFC 6750 §3): the realm
// alone when no bearer token was sent, error="invalid_token" and a
// description when one was sent and refused.
func checkChallenge(t *testing.T, got string, tokenSent bool) {
	t.Helper()
	const realm = `Bearer realm="switchboard"`
	if !tokenSent {
		if got != realm {
			t.Errorf("WWW-Authenticate: got %q, want %q", got, realm)
		}
		return
	}
	if !strings.HasPrefix(got, realm+`, error="invalid_token", error_description="`) || !strings.HasSuffix(got, `"`) ||
		len(got) <= len(realm+`, error="invalid_token", error_description=""`) {
		t.Errorf("WWW-Authenticate: got %q, want %s, error=\"invalid_token\" and a description", got, realm)
	}
}

func TestAnExpiredTokenIsNamedInTheChallenge(t *testing.T) {
	g := newTestGateway(t)
	now := time.Now()
	expired, err := auth.SignHS256(testSecret, auth.Claims{Subject: "app", Tenant: "acme", Audience: []string{"switchboard"},
		Scopes: []auth.Scope{auth.ScopeLookupsRead}, IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rec := g.do(t, "GET", "/v1/tags", "", nil, "Authorization", "Bearer "+expired)
	decodeProblem(t, rec, 401, domain.CodeUnauthorized)
	want := `Bearer realm="switchboard", error="invalid_token", error_description="token expired"`
	if got := rec.Header().Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate: got %q, want %q", got, want)
	}
}
