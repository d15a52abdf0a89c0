package phonewagon

import (
	"context"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// Service is the Phonewagon API in the (value, error) shape the gateway's
// handlers consume, every call run through the account's Guard (its circuit
// breaker). The guard sits outside the budget, so a refused call never
// spends a budget slot. A Service is safe for concurrent use.
type Service struct {
	c     *Client
	guard upstreamhttp.Guard
}

// NewService returns c's Service guarded by g (nil: unguarded).
func NewService(c *Client, g upstreamhttp.Guard) Service { return Service{c: c, guard: g} }

// Companies lists the account's companies (see Client.Companies).
func (s Service) Companies(ctx context.Context) ([]domain.Company, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) ([]domain.Company, error) {
		v, _, err := s.c.Companies(ctx)
		return v, err
	})
}

// Campaigns lists one company's campaigns (see Client.Campaigns).
func (s Service) Campaigns(ctx context.Context, companyID string) ([]domain.Campaign, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) ([]domain.Campaign, error) {
		v, _, err := s.c.Campaigns(ctx, companyID)
		return v, err
	})
}

// Calls returns one exact page of the call history (see Client.Calls).
func (s Service) Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) (domain.CallsPage, error) {
		page, _, err := s.c.Calls(ctx, q)
		return page, err
	})
}
