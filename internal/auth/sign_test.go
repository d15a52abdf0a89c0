package auth

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestSignHS256RoundTrips(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
	token, err := SignHS256(testSecret, Claims{
		Subject:   "sandbox",
		Tenant:    "demo",
		Audience:  []string{DefaultAudience},
		Scopes:    []Scope{ScopeCallsRead, ScopeMessagesSend},
		IssuedAt:  testNow,
		NotBefore: testNow,
		ExpiresAt: testNow.Add(time.Hour),
		TokenID:   "sandbox-1",
	})
	if err != nil {
		t.Fatalf("SignHS256: %v", err)
	}
	p, err := v.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Subject != "sandbox" || p.Tenant != "demo" || p.TokenID != "sandbox-1" ||
		p.Scopes != NewScopeSet(ScopeCallsRead, ScopeMessagesSend) || !p.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Errorf("got %+v, want the signed claims back", *p)
	}
}

func TestSignHS256RefusesTokensThatCannotVerify(t *testing.T) {
	valid := Claims{Subject: "app", Tenant: "demo", Audience: []string{"switchboard"}, ExpiresAt: testNow}
	tests := []struct {
		name   string
		secret string
		edit   func(*Claims)
		want   string
	}{
		{"a short secret is refused", "short-secret", func(*Claims) {}, "shorter than 32 bytes"},
		{"an empty subject is refused", testSecret.Reveal(), func(c *Claims) { c.Subject = "" }, "subject is empty"},
		{"a malformed tenant is refused", testSecret.Reveal(), func(c *Claims) { c.Tenant = "Demo" }, "not a valid tenant id"},
		{"a missing audience is refused", testSecret.Reveal(), func(c *Claims) { c.Audience = []string{""} }, "audience is empty"},
		{"a missing expiry is refused", testSecret.Reveal(), func(c *Claims) { c.ExpiresAt = time.Time{} }, "expiry is not set"},
		{"a scope with a space is refused", testSecret.Reveal(), func(c *Claims) { c.Scopes = []Scope{"calls:read calls:write"} },
			"contains whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			_, err := SignHS256(domain.Secret(tt.secret), c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}
