package handlers

import (
	"context"

	"github.com/go-chi/httprate"

	"switchboard/internal/domain"
)

// tenantSet is one generation of the configured tenants with their inbound
// limiters. It is never modified once published: a reload publishes a new
// one (SetTenants), and a request keeps the generation it authenticated
// against until it finishes.
type tenantSet struct {
	tenants  map[string]*Tenant
	limiters map[string]*httprate.RateLimiter
	limits   map[string]int // the limit each limiter was built with
}

// tenantEntry is what authenticate puts in the request context: the
// caller's tenant and its limiter, from the same generation.
type tenantEntry struct {
	tenant  *Tenant
	limiter *httprate.RateLimiter
}

type tenantKey struct{}

func withTenant(ctx context.Context, e *tenantEntry) context.Context {
	return context.WithValue(ctx, tenantKey{}, e)
}

// tenantFrom returns the authenticated caller's tenant. Handlers behind
// authenticate always have one; its absence is an internal error.
func tenantFrom(ctx context.Context) (*Tenant, error) {
	e, ok := ctx.Value(tenantKey{}).(*tenantEntry)
	if !ok || e.tenant == nil {
		return nil, domain.Errorf(domain.CodeInternal, "no tenant in request context")
	}
	return e.tenant, nil
}

// SetTenants publishes a new set of tenants for the requests that start from
// now on; requests in flight finish with the tenants they started with. A
// tenant absent from tenants is refused like an unknown one (403). Inbound
// limiters of tenants whose limit did not change are carried over, so that a
// reload does not hand every tenant a fresh minute. Safe for concurrent use;
// the caller must not modify tenants or its values afterwards.
func (s *Server) SetTenants(tenants map[string]*Tenant) {
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	old := s.gen.Load()
	next := &tenantSet{
		tenants:  tenants,
		limiters: make(map[string]*httprate.RateLimiter, len(tenants)),
		limits:   make(map[string]int, len(tenants)),
	}
	for id, t := range tenants {
		limit := t.RateLimitPerMinute
		if limit <= 0 {
			limit = domain.DefaultRateLimitPerMinute
		}
		if old != nil && old.limits[id] == limit && old.limiters[id] != nil {
			next.limiters[id] = old.limiters[id]
		} else {
			next.limiters[id] = s.newInboundLimiter(limit)
		}
		next.limits[id] = limit
	}
	s.gen.Store(next)
	if s.router != nil {
		s.primeSeries(tenants)
	}
}
