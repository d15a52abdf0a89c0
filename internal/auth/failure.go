package auth

import (
	"errors"
	"fmt"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// failure turns a parser error into the caller-facing error. The parser
// joins every claim problem it finds; the message reports one, in this
// order: structure, algorithm, signature, missing or invalid claims, then
// time and audience. t is the token the parser returned with err (possibly
// nil).
func (v *Verifier) failure(err error, t *jwt.Token) *domain.Error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		// Decoding errors can quote fragments of the claims (encoding/json
		// reports the offending literal), so only the category is kept.
		return unauthorized("malformed token", fmt.Errorf("auth: verify: %w", jwt.ErrTokenMalformed))
	case errors.Is(err, errUnknownKey):
		return unauthorized("token signing key is unknown", wrapCause(err))
	case errors.Is(err, errKeyMismatch):
		return unauthorized("token algorithm does not match its key", wrapCause(err))
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// An unknown or missing alg, or one the key function refused.
		return unauthorized("token algorithm is not accepted", wrapCause(err))
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// The parser reports an algorithm outside WithValidMethods as an
		// invalid signature; tell the two apart for the caller.
		if t != nil && t.Method != nil && !slices.Contains(v.algs, t.Method.Alg()) {
			return unauthorized("token algorithm is not accepted", wrapCause(err))
		}
		return unauthorized("token signature is invalid", wrapCause(err))
	}
	if ce, ok := asClaimError(err); ok {
		return unauthorized(ce.msg, wrapCause(err))
	}
	msg := "token is invalid"
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		msg = "token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "token is issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = "token audience is not accepted"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		msg = "token is missing a required claim"
	}
	return unauthorized(msg, wrapCause(err))
}

// wrapCause keeps a parser error as the log-only cause. Past decoding, the
// parser's errors name only algorithms (from its own registry), sentinel
// conditions and crypto failures: never the token or a claim value.
func wrapCause(err error) error {
	return fmt.Errorf("auth: verify: %w", err)
}
