package auth

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerify(t *testing.T) {
	k := loadTestKeys(t)
	rsa1PEM := pkixPEM(t, &k.rsa1.PublicKey)
	rsa2PEM := pkixPEM(t, &k.rsa2.PublicKey)
	hsOnly := Config{HMACSecret: testSecret}
	rsaOnly := Config{PublicKeysPEM: rsa1PEM}
	rsaTwo := Config{PublicKeysPEM: bytes.Join([][]byte{rsa1PEM, rsa2PEM}, nil)}
	ecOnly := Config{PublicKeysPEM: pkixPEM(t, &k.ec.PublicKey)}
	hsAndRSA := Config{HMACSecret: testSecret, PublicKeysPEM: rsa1PEM}
	kid1, err := thumbprint(&k.rsa1.PublicKey)
	if err != nil {
		t.Fatalf("thumbprint: %v", err)
	}
	kid2, err := thumbprint(&k.rsa2.PublicKey)
	if err != nil {
		t.Fatalf("thumbprint: %v", err)
	}
	hs := func(c jwt.MapClaims) func(t *testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, []byte(testSecret), c, "") }
	}
	leeway := MaxLeeway

	tests := []struct {
		name  string
		cfg   Config
		token func(t *testing.T) string
		want  string // the error message; empty means accepted
	}{
		{"an empty token is missing", hsOnly, func(*testing.T) string { return "" }, "missing token"},
		{"a token of two segments is malformed", hsOnly, func(*testing.T) string { return "abc.def" }, "malformed token"},
		{"a token whose payload is not base64 is malformed", hsOnly, func(t *testing.T) string {
			parts := strings.Split(hs(baseClaims())(t), ".")
			return parts[0] + ".!!!." + parts[2]
		}, "malformed token"},
		{"a token whose exp is a string is malformed", hsOnly, hs(with(map[string]any{"exp": "leakcheck-value"})), "malformed token"},
		{"a token whose sub is a number is malformed", hsOnly, hs(with(map[string]any{"sub": 42})), "malformed token"},
		{"a token longer than the maximum is too large", hsOnly,
			hs(with(map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenBytes)})), "token is too large"},
		{"an HS256 token signed with another secret has an invalid signature", hsOnly, func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), baseClaims(), "")
		}, "token signature is invalid"},
		{"an HS256 token with a flipped signature byte has an invalid signature", hsOnly, func(t *testing.T) string {
			s := []byte(hs(baseClaims())(t))
			if s[len(s)-2] == 'A' {
				s[len(s)-2] = 'B'
			} else {
				s[len(s)-2] = 'A'
			}
			return string(s)
		}, "token signature is invalid"},
		{"an alg none token is not accepted", hsAndRSA, func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, baseClaims(), "")
		}, "token algorithm is not accepted"},
		{"an HS256 token keyed with the RSA public key PEM is not accepted when only RSA is configured", rsaOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, rsa1PEM, baseClaims(), "") },
			"token algorithm is not accepted"},
		{"an HS256 token keyed with the RSA public key PEM fails the signature check next to an HMAC secret", hsAndRSA,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, rsa1PEM, baseClaims(), "") },
			"token signature is invalid"},
		{"an RS256 token is not accepted when only HS256 is configured", hsOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa1, baseClaims(), "") },
			"token algorithm is not accepted"},
		{"an HS512 token with the right secret is not accepted", hsOnly,
			func(t *testing.T) string {
				return sign(t, jwt.SigningMethodHS512, []byte(testSecret), baseClaims(), "")
			},
			"token algorithm is not accepted"},
		{"an RS512 token from a configured key is not accepted", rsaOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS512, k.rsa1, baseClaims(), "") },
			"token algorithm is not accepted"},
		{"a PS256 token from a configured key is not accepted", rsaOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodPS256, k.rsa1, baseClaims(), "") },
			"token algorithm is not accepted"},
		{"an ES256 token is not accepted when only RSA keys are configured", rsaTwo,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), "") },
			"token algorithm is not accepted"},
		{"an ES256 token from the configured key is accepted", ecOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ec, baseClaims(), "") }, ""},
		{"an ES256 token from another key has an invalid signature", ecOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ecOther, baseClaims(), "") },
			"token signature is invalid"},
		{"an RS256 token from the second of two configured keys is accepted", rsaTwo,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa2, baseClaims(), "") }, ""},
		{"an RS256 token whose kid is the second key's thumbprint is accepted", rsaTwo,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa2, baseClaims(), kid2) }, ""},
		{"an RS256 token whose kid names the first key but is signed by the second is rejected", rsaTwo,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa2, baseClaims(), kid1) },
			"token signature is invalid"},
		{"an RS256 token with an unknown kid is checked against every key", rsaTwo,
			func(t *testing.T) string {
				return sign(t, jwt.SigningMethodRS256, k.rsa2, baseClaims(), "../../etc/passwd")
			}, ""},
		{"an RS256 token from an unconfigured key has an invalid signature", rsaTwo,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsaOther, baseClaims(), "") },
			"token signature is invalid"},
		{"a token expired beyond the leeway is rejected", hsOnly,
			hs(with(map[string]any{"exp": testNow.Add(-leeway - time.Second).Unix()})), "token expired"},
		{"a token expired within the leeway is accepted", hsOnly,
			hs(with(map[string]any{"exp": testNow.Add(-leeway + time.Second).Unix()})), ""},
		{"a token whose nbf is beyond the leeway is not valid yet", hsOnly,
			hs(with(map[string]any{"nbf": testNow.Add(leeway + time.Second).Unix()})), "token is not valid yet"},
		{"a token whose nbf is within the leeway is accepted", hsOnly,
			hs(with(map[string]any{"nbf": testNow.Add(leeway - time.Second).Unix()})), ""},
		{"a token issued in the future beyond the leeway is rejected", hsOnly,
			hs(with(map[string]any{"iat": testNow.Add(leeway + time.Second).Unix()})), "token is issued in the future"},
		{"a token for another audience is rejected", hsOnly,
			hs(with(map[string]any{"aud": "someone-else"})), "token audience is not accepted"},
		{"a token whose audience array contains ours is accepted", hsOnly,
			hs(with(map[string]any{"aud": []string{"someone-else", "switchboard"}})), ""},
		{"a token without an audience is rejected", hsOnly,
			hs(with(map[string]any{"aud": nil})), "token is missing the audience claim"},
		{"a token without a subject is rejected", hsOnly,
			hs(with(map[string]any{"sub": nil})), "token is missing the subject claim"},
		{"a token with an empty subject is rejected", hsOnly,
			hs(with(map[string]any{"sub": ""})), "token is missing the subject claim"},
		{"a token without a tenant is rejected", hsOnly,
			hs(with(map[string]any{"tenant": nil})), "token is missing the tenant claim"},
		{"a token whose tenant has capitals is rejected", hsOnly,
			hs(with(map[string]any{"tenant": "Acme"})), "token tenant claim is invalid"},
		{"a token whose tenant is a path is rejected", hsOnly,
			hs(with(map[string]any{"tenant": "../acme"})), "token tenant claim is invalid"},
		{"a token without an expiry is rejected", hsOnly,
			hs(with(map[string]any{"exp": nil})), "token is missing the expiry claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Now, _ = fixedClock()
			cfg.CacheSize = -1
			v := mustVerifier(t, cfg)
			token := tt.token(t)
			p, err := v.Verify(token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want the token accepted", err)
				}
				if p.Subject != "billing-app" || p.Tenant != "acme" {
					t.Errorf("got subject %q tenant %q, want billing-app and acme", p.Subject, p.Tenant)
				}
				return
			}
			if err == nil {
				t.Fatalf("got principal %+v, want error %q", p, tt.want)
			}
			wantUnauthorized(t, err, tt.want, token)
			if strings.Contains(err.Error(), "leakcheck") {
				t.Errorf("error %q quotes a claim value", err)
			}
		})
	}
}

func TestVerifyReturnsThePrincipal(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
	p, err := v.Verify(sign(t, jwt.SigningMethodHS256, []byte(testSecret),
		with(map[string]any{"scope": "calls:read admin calls:read lookups:read"}), ""))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Principal{
		Subject:   "billing-app",
		Tenant:    "acme",
		Scopes:    NewScopeSet(ScopeCallsRead, ScopeLookupsRead),
		ExpiresAt: testNow.Add(time.Hour),
		TokenID:   "token-1",
	}
	if p.Subject != want.Subject || p.Tenant != want.Tenant || p.Scopes != want.Scopes ||
		!p.ExpiresAt.Equal(want.ExpiresAt) || p.TokenID != want.TokenID {
		t.Errorf("got %+v, want %+v", *p, want)
	}
	if !p.HasScope(ScopeCallsRead) || p.HasScope(ScopeCallsWrite) {
		t.Errorf("got scopes %q, want calls:read and not calls:write", p.Scopes)
	}
}

func TestVerifyHonoursTheConfiguredAudienceAndMaximum(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now, Audience: "internal", MaxTokenBytes: 400})
	tests := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"the configured audience is accepted", map[string]any{"aud": "internal"}, ""},
		{"the default audience is rejected once another is configured", map[string]any{}, "token audience is not accepted"},
		{"a token over the configured maximum is too large",
			map[string]any{"aud": "internal", "pad": strings.Repeat("x", 400)}, "token is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(tt.claims), "")
			_, err := v.Verify(token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want the token accepted", err)
				}
				return
			}
			wantUnauthorized(t, err, tt.want, token)
		})
	}
}
