package auth

import (
	"context"
	"time"
)

// Principal is the verified identity behind a request: the calling app, the
// tenant it acts for and what it may do.
type Principal struct {
	// Subject is the "sub" claim: the calling app.
	Subject string
	// Tenant is the "tenant" claim. Its format is checked (domain.ValidTenantID);
	// whether the tenant exists is for the caller of Verify to decide.
	Tenant string
	// Scopes holds the known scopes of the "scope" claim.
	Scopes ScopeSet
	// ExpiresAt is the "exp" claim.
	ExpiresAt time.Time
	// TokenID is the "jti" claim, empty when the token has none.
	TokenID string
}

// HasScope reports whether the principal was granted s. A nil principal has
// no scopes.
func (p *Principal) HasScope(s Scope) bool {
	return p != nil && p.Scopes.Has(s)
}

// principalKey is the context key for the Principal. The type is unexported
// so no other package can read or overwrite the value except through
// NewContext and FromContext.
type principalKey struct{}

// NewContext returns a copy of ctx that carries p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal stored by NewContext. ok is false when
// there is none (or it is nil): the request was not authenticated.
func FromContext(ctx context.Context) (p *Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
