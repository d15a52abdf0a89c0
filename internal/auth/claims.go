package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// tokenClaims is the claim set Verify decodes. A claim of the wrong JSON
// type (a numeric "sub", an array "scope") fails decoding, and the token is
// reported as malformed.
type tokenClaims struct {
	jwt.RegisteredClaims
	Tenant string `json:"tenant"`
	Scope  string `json:"scope,omitempty"`
}

// claimError is a claim problem found by tokenClaims.Validate. Its text is
// the caller-safe message and never includes a claim value.
type claimError struct{ msg string }

func (e *claimError) Error() string { return e.msg }

// The claim problems Validate reports, most fundamental first.
var (
	errMissingSubject  = &claimError{"token is missing the subject claim"}
	errMissingTenant   = &claimError{"token is missing the tenant claim"}
	errInvalidTenant   = &claimError{"token tenant claim is invalid"}
	errMissingExpiry   = &claimError{"token is missing the expiry claim"}
	errMissingAudience = &claimError{"token is missing the audience claim"}
)

// Validate implements jwt.ClaimsValidator: the parser calls it after its own
// exp, nbf, iat and aud checks and joins every error, so Verify picks the
// message (see failure). exp and aud are required here rather than through
// jwt's options so that each missing claim gets its own message.
func (c *tokenClaims) Validate() error {
	switch {
	case c.Subject == "":
		return errMissingSubject
	case c.Tenant == "":
		return errMissingTenant
	case !domain.ValidTenantID(c.Tenant):
		return errInvalidTenant
	case c.ExpiresAt == nil:
		return errMissingExpiry
	case !hasAudience(c.Audience):
		return errMissingAudience
	}
	return nil
}

// hasAudience reports whether aud names any audience at all; jwt treats a
// single empty string as absent, and so does this.
func hasAudience(aud jwt.ClaimStrings) bool {
	for _, a := range aud {
		if a != "" {
			return true
		}
	}
	return false
}

// asClaimError returns the claimError in err's chain, if any.
func asClaimError(err error) (*claimError, bool) {
	var ce *claimError
	ok := errors.As(err, &ce)
	return ce, ok
}
