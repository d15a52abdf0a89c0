package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// Claims describes a token to mint with SignHS256.
type Claims struct {
	Subject   string
	Tenant    string
	Audience  []string
	Scopes    []Scope
	IssuedAt  time.Time // omitted when zero
	NotBefore time.Time // omitted when zero
	ExpiresAt time.Time
	TokenID   string // "jti", omitted when empty
}

// SignHS256 mints an HS256 token, for sandbox mode and tests. It refuses to
// mint what a Verifier would always reject: a short secret, an empty
// subject, a malformed tenant, no audience, no expiry, or a scope that
// contains whitespace. Errors never include the secret.
func SignHS256(secret domain.Secret, claims Claims) (string, error) {
	if err := claims.check(secret); err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	scopes := make([]string, len(claims.Scopes))
	for i, s := range claims.Scopes {
		scopes[i] = string(s)
	}
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   claims.Subject,
			Audience:  jwt.ClaimStrings(claims.Audience),
			ExpiresAt: jwt.NewNumericDate(claims.ExpiresAt),
			NotBefore: optionalDate(claims.NotBefore),
			IssuedAt:  optionalDate(claims.IssuedAt),
			ID:        claims.TokenID,
		},
		Tenant: claims.Tenant,
		Scope:  strings.Join(scopes, " "),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret.Reveal()))
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, nil
}

// check validates the inputs of SignHS256.
func (c Claims) check(secret domain.Secret) error {
	switch {
	case len(secret.Reveal()) < MinHMACSecretBytes:
		return fmt.Errorf("secret is shorter than %d bytes", MinHMACSecretBytes)
	case c.Subject == "":
		return errors.New("subject is empty")
	case !domain.ValidTenantID(c.Tenant):
		return fmt.Errorf("tenant %q is not a valid tenant id", c.Tenant)
	case !hasAudience(c.Audience):
		return errors.New("audience is empty")
	case c.ExpiresAt.IsZero():
		return errors.New("expiry is not set")
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t\r\n\f\v") {
			return fmt.Errorf("scope %q is empty or contains whitespace", s)
		}
	}
	return nil
}

// optionalDate returns nil for the zero time, so the claim is omitted.
func optionalDate(t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(t)
}
