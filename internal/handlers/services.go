package handlers

import (
	"context"

	"switchboard/internal/action"
	"switchboard/internal/domain"
)

// CallWidgetService is the CallWidget API as the handlers use it. The
// upstream client satisfies it through a thin adapter in main.
type CallWidgetService interface {
	Installs(ctx context.Context) ([]domain.Install, error)
	Departments(ctx context.Context) ([]domain.Lookup, error)
	Tags(ctx context.Context) ([]domain.Lookup, error)
	Automations(ctx context.Context) ([]domain.Lookup, error)
	Actor
}

// PhonewagonService is the Phonewagon API as the handlers use it.
type PhonewagonService interface {
	Companies(ctx context.Context) ([]domain.Company, error)
	Campaigns(ctx context.Context, companyID string) ([]domain.Campaign, error)
	// Calls returns one page of the call history and the query of the
	// next one (see domain.CallsQuery).
	Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, error)
}

// Actor performs CallWidget actions: a validated request of kind (and,
// for enrollments, the automation's id). Which vendor endpoint and body
// carry it out is the upstream client's business.
type Actor interface {
	Perform(ctx context.Context, kind action.Kind, req *action.Request, automationID string) (domain.ActionResult, error)
}
