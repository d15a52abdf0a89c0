// Package auth verifies the JWTs that callers present as bearer tokens
// (SPEC §2) and carries the resulting Principal through a request context.
//
// A Verifier accepts exactly the algorithms its configuration enables:
// HS256 when an HMAC secret is set, RS256 when an RSA public key is
// configured, ES256 when an EC P-256 public key is configured. Everything
// else — "none", HS512, RS512, PS256, and HS256 signed with a public key's
// bytes (algorithm confusion) — is rejected before any key is used.
//
// Every verification failure is a *domain.Error with CodeUnauthorized and a
// short message that a caller may read. Neither the message nor the
// log-only cause ever contains the token, a claim value, or key material.
//
// The package knows nothing about HTTP: the middleware that reads the
// Authorization header and turns failures into 401 and 403 responses lives
// with the handlers.
package auth
