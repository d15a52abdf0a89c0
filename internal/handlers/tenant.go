package handlers

import (
	"context"

	"switchboard/internal/domain"
)

type tenantKey struct{}

func withTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// tenantFrom returns the authenticated caller's tenant. Handlers behind
// authenticate always have one; its absence is an internal error.
func tenantFrom(ctx context.Context) (*Tenant, error) {
	t, ok := ctx.Value(tenantKey{}).(*Tenant)
	if !ok {
		return nil, domain.Errorf(domain.CodeInternal, "no tenant in request context")
	}
	return t, nil
}
