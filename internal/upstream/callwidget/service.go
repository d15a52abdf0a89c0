package callwidget

import (
	"context"

	"switchboard/internal/action"
	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// Service is the CallWidget API in the (value, error) shape the gateway's
// handlers consume, every call run through the account's Guard (its circuit
// breaker). A Service is safe for concurrent use.
type Service struct {
	c     *Client
	guard upstreamhttp.Guard
}

// NewService returns c's Service guarded by g (nil: unguarded).
func NewService(c *Client, g upstreamhttp.Guard) Service { return Service{c: c, guard: g} }

// Installs lists the account's installs (see Client.Installs).
func (s Service) Installs(ctx context.Context) ([]domain.Install, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) ([]domain.Install, error) {
		v, _, err := s.c.Installs(ctx)
		return v, err
	})
}

// Departments lists the account's departments (see Client.Departments).
func (s Service) Departments(ctx context.Context) ([]domain.Lookup, error) {
	return s.lookups(ctx, s.c.Departments)
}

// Tags lists the account's tags (see Client.Tags).
func (s Service) Tags(ctx context.Context) ([]domain.Lookup, error) { return s.lookups(ctx, s.c.Tags) }

// Automations lists the account's automations (see Client.Automations).
func (s Service) Automations(ctx context.Context) ([]domain.Lookup, error) {
	return s.lookups(ctx, s.c.Automations)
}

func (s Service) lookups(ctx context.Context, list func(context.Context) ([]domain.Lookup, *Response, error)) ([]domain.Lookup, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) ([]domain.Lookup, error) {
		v, _, err := list(ctx)
		return v, err
	})
}

// Perform carries out an action (see Client.Perform). A refusal by the
// guard never reached the upstream, so it stays retriable.
func (s Service) Perform(ctx context.Context, kind action.Kind, req *action.Request, automationID string) (domain.ActionResult, error) {
	return upstreamhttp.Guarded(ctx, s.guard, func(ctx context.Context) (domain.ActionResult, error) {
		v, _, err := s.c.Perform(ctx, kind, req, automationID)
		return v, err
	})
}
