package handlers

import (
	"context"
	"net/http"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// LookupList is a whole list of CallWidget lookups.
type LookupList struct {
	Data []domain.Lookup `json:"data"`
	// NextCursor is always null: lookups come whole.
	NextCursor *string `json:"next_cursor" swaggertype:"string" extensions:"x-nullable"`
} // @name LookupList

// InstallList is the whole list of CallWidget installs.
type InstallList struct {
	Data       []domain.Install `json:"data"`
	NextCursor *string          `json:"next_cursor" swaggertype:"string" extensions:"x-nullable"`
} // @name InstallList

// callWidgetFrom returns the caller's CallWidget service, or 403
// upstream-not-configured when the tenant has none.
func callWidgetFrom(ctx context.Context) (CallWidgetService, error) {
	t, err := tenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	if t.CallWidget == nil {
		return nil, domain.Errorf(domain.CodeUpstreamNotConfigured,
			"tenant %q has no CallWidget account configured", t.ID)
	}
	return t.CallWidget, nil
}

// listLookups serves one of the CallWidget lookup lists from the cache.
func (s *Server) listLookups(name string, fetch func(CallWidgetService, context.Context) ([]domain.Lookup, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := tenantFrom(r.Context())
		if err != nil {
			return err
		}
		cw, err := callWidgetFrom(r.Context())
		if err != nil {
			return err
		}
		return s.serveCached(w, r, t, cache.Key(t.ID, t.CallWidgetAccount, name), lookupFill(cw, fetch))
	}
}

// lookupFill fetches one lookup list as a cacheable page.
func lookupFill(cw CallWidgetService, fetch func(CallWidgetService, context.Context) ([]domain.Lookup, error)) func(context.Context) (page, error) {
	return func(ctx context.Context) (page, error) {
		items, err := fetch(cw, ctx)
		return page{value: LookupList{Data: nonNil(items)}, freshFor: ttlLookups}, err
	}
}

// listTags godoc
//
//	@Summary		List CallWidget tags
//	@ID				listTags
//	@Description	The tenant's CallWidget tags, whole (`next_cursor` is always null). Scope `lookups:read`.
//	@Tags			lookups
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	LookupList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/tags [get]
func (s *Server) listTags() handlerFunc {
	return s.listLookups("tags", CallWidgetService.Tags)
}

// listDepartments godoc
//
//	@Summary		List CallWidget departments
//	@ID				listDepartments
//	@Description	The tenant's CallWidget departments, whole. Scope `lookups:read`.
//	@Tags			lookups
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	LookupList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/departments [get]
func (s *Server) listDepartments() handlerFunc {
	return s.listLookups("departments", CallWidgetService.Departments)
}

// listAutomations godoc
//
//	@Summary		List CallWidget automations
//	@ID				listAutomations
//	@Description	The tenant's CallWidget automations, whole. Scope `lookups:read`.
//	@Tags			lookups
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	LookupList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/automations [get]
func (s *Server) listAutomations() handlerFunc {
	return s.listLookups("automations", CallWidgetService.Automations)
}

// listInstalls godoc
//
//	@Summary		List CallWidget installs
//	@ID				listInstalls
//	@Description	The tenant's CallWidget installs (the numbers calls and texts go out from), whole. Scope `lookups:read`.
//	@Tags			lookups
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	InstallList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/installs [get]
func (s *Server) listInstalls(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantFrom(r.Context())
	if err != nil {
		return err
	}
	cw, err := callWidgetFrom(r.Context())
	if err != nil {
		return err
	}
	return s.serveCached(w, r, t, cache.Key(t.ID, t.CallWidgetAccount, "installs"), func(ctx context.Context) (page, error) {
		items, err := cw.Installs(ctx)
		return page{value: InstallList{Data: nonNil(items)}, freshFor: ttlLookups}, err
	})
}
