package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"golang.org/x/sync/errgroup"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// campaignFanOut bounds the concurrent upstream requests of
// GET /v1/campaigns without company_id: each costs Phonewagon budget, and a
// burst would only queue on it.
const campaignFanOut = 4

// CompanyList is every Phonewagon company of the tenant's account.
type CompanyList struct {
	Data []domain.Company `json:"data"`
	// NextCursor is always null: companies come whole.
	NextCursor *string `json:"next_cursor" swaggertype:"string" extensions:"x-nullable"`
}

// CampaignList is every campaign of one company, or of all of them.
type CampaignList struct {
	Data []domain.Campaign `json:"data"`
	// NextCursor is always null: campaigns come whole.
	NextCursor *string `json:"next_cursor" swaggertype:"string" extensions:"x-nullable"`
}

// phonewagonFrom returns the caller's tenant and its Phonewagon service, or
// 403 upstream-not-configured when it has none.
func phonewagonFrom(ctx context.Context) (*Tenant, PhonewagonService, error) {
	t, err := tenantFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	if t.Phonewagon == nil {
		return nil, nil, domain.Errorf(domain.CodeUpstreamNotConfigured,
			"tenant %q has no Phonewagon account configured", t.ID)
	}
	return t, t.Phonewagon, nil
}

// listCompanies godoc
//
//	@Summary		List companies
//	@ID				listCompanies
//	@Description	Every Phonewagon company of the tenant's account, whole. Scope `campaigns:read`.
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	CompanyList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no Phonewagon account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable, rate limited, or budget exhausted"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/companies [get]
func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) error {
	t, pw, err := phonewagonFrom(r.Context())
	if err != nil {
		return err
	}
	return s.serveCached(w, r, t, companiesKey(t), fillCompanies(pw))
}

// companiesKey is the response-cache key of the tenant's company list.
func companiesKey(t *Tenant) string { return cache.Key(t.ID, t.PhonewagonAccount, "companies") }

// fillCompanies fetches the company list from the upstream.
func fillCompanies(pw PhonewagonService) func(ctx context.Context) (page, error) {
	return func(ctx context.Context) (page, error) {
		companies, err := pw.Companies(ctx)
		return page{value: CompanyList{Data: nonNil(companies)}, freshFor: ttlLookups}, err
	}
}

// cachedCompanies returns the tenant's companies through the response
// cache, as GET /v1/companies would serve them: a fresh (or, when the
// upstream fails, stale) list costs no budget.
func (s *Server) cachedCompanies(ctx context.Context, t *Tenant, pw PhonewagonService) ([]domain.Company, error) {
	res, err := s.cache.Fetch(ctx, companiesKey(t), false, func(ctx context.Context) (cache.Entry, error) {
		return entryOf(fillCompanies(pw)(ctx))
	})
	if err != nil {
		return nil, err
	}
	var list CompanyList
	if err := json.Unmarshal(res.Entry.Body, &list); err != nil {
		return nil, fmt.Errorf("cached companies: %w", err)
	}
	return list.Data, nil
}

// listCampaigns godoc
//
//	@Summary		List campaigns
//	@ID				listCampaigns
//	@Description	The campaigns of one company, or without `company_id` of every company (one upstream request per company). Scope `campaigns:read`.
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Param			company_id	query		string	false	"Phonewagon company id"	example(1001)
//	@Success		200			{object}	CampaignList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		400			{object}	Problem	"invalid company_id"
//	@Failure		401			{object}	Problem	"missing or invalid token"
//	@Failure		403			{object}	Problem	"scope missing, unknown tenant, or no Phonewagon account"
//	@Failure		502			{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503			{object}	Problem	"upstream unavailable, rate limited, or budget exhausted"
//	@Failure		504			{object}	Problem	"upstream timeout"
//	@Router			/v1/campaigns [get]
func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	t, pw, err := phonewagonFrom(r.Context())
	if err != nil {
		return err
	}
	companyID, err := parseCompanyParam(r)
	if err != nil {
		return err
	}
	return s.serveCached(w, r, t, campaignsKey(t, companyID), s.fillCampaigns(t, pw, companyID))
}

// campaignsKey is the response-cache key of the campaigns of one company,
// or of every company when companyID is "".
func campaignsKey(t *Tenant, companyID string) string {
	return cache.Key(t.ID, t.PhonewagonAccount, "campaigns", companyID)
}

// fillCampaigns fetches the campaigns of one company, or of every company
// when companyID is "", from the upstream.
func (s *Server) fillCampaigns(t *Tenant, pw PhonewagonService, companyID string) func(ctx context.Context) (page, error) {
	return func(ctx context.Context) (page, error) {
		var campaigns []domain.Campaign
		var err error
		if companyID != "" {
			campaigns, err = pw.Campaigns(ctx, companyID)
		} else {
			var companies []domain.Company
			if companies, err = s.cachedCompanies(ctx, t, pw); err == nil {
				campaigns, err = allCampaigns(ctx, pw, companies)
			}
		}
		return page{value: CampaignList{Data: nonNil(campaigns)}, freshFor: ttlLookups}, err
	}
}

// parseCompanyParam validates the only parameter of GET /v1/campaigns.
func parseCompanyParam(r *http.Request) (string, error) {
	q := r.URL.Query()
	for name, vals := range q {
		if name != "company_id" {
			return "", domain.ValidationError(domain.FieldError{Field: queryFieldName(name), Message: "unknown query parameter"})
		}
		if len(vals) > 1 {
			return "", domain.ValidationError(domain.FieldError{Field: name, Message: "must be given at most once"})
		}
	}
	id := q.Get("company_id")
	if id != "" && !isDigits(id, 20) {
		return "", domain.ValidationError(domain.FieldError{Field: "company_id", Message: "must be a numeric company id"})
	}
	return id, nil
}

// allCampaigns lists the campaigns of every company given, in company order.
func allCampaigns(ctx context.Context, pw PhonewagonService, companies []domain.Company) ([]domain.Campaign, error) {
	perCompany := make([][]domain.Campaign, len(companies))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(campaignFanOut)
	for i, c := range companies {
		g.Go(func() error {
			list, err := pw.Campaigns(gctx, c.ID)
			perCompany[i] = list // each goroutine owns one index; Wait orders it before the read
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []domain.Campaign
	for _, list := range perCompany {
		out = append(out, list...)
	}
	return out, nil
}

// nonNil makes an empty list marshal as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
