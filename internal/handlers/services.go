package handlers

import (
	"context"
	"time"

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
	Calls(ctx context.Context, q CallsQuery) (CallsPage, error)
}

// CallsQuery is one upstream page request of the call history. Zero Start
// and End mean unset; End is inclusive, in milliseconds as the upstream has it.
type CallsQuery struct {
	CompanyID  string
	CampaignID string
	Start      time.Time
	End        time.Time
	PageSize   int
}

// CallsPage is one page of calls and the request for the next page, nil on
// the last one.
type CallsPage struct {
	Calls []domain.Call
	Next  *CallsQuery
}

// Actor performs CallWidget actions: a validated request of kind (and,
// for enrollments, the automation's id). Which vendor endpoint and body
// carry it out is the upstream client's business.
type Actor interface {
	Perform(ctx context.Context, kind action.Kind, req *action.Request, automationID string) (domain.ActionResult, error)
}
