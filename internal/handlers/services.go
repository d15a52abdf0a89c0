package handlers

import (
	"context"

	"switchboard/internal/domain"
)

// CallWidgetService is the CallWidget API as the handlers use it. The
// upstream client satisfies it through a thin adapter in main.
type CallWidgetService interface {
	Installs(ctx context.Context) ([]domain.Install, error)
	Departments(ctx context.Context) ([]domain.Lookup, error)
	Tags(ctx context.Context) ([]domain.Lookup, error)
	Automations(ctx context.Context) ([]domain.Lookup, error)
}
