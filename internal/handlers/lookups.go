package handlers

import (
	"context"
	"net/http"

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

// listLookups serves one of the CallWidget lookup lists.
func (s *Server) listLookups(fetch func(CallWidgetService, context.Context) ([]domain.Lookup, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cw, err := callWidgetFrom(r.Context())
		if err != nil {
			return err
		}
		items, err := fetch(cw, r.Context())
		if err != nil {
			return err
		}
		if items == nil {
			items = []domain.Lookup{}
		}
		return writeJSON(w, http.StatusOK, LookupList{Data: items})
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
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/tags [get]
func (s *Server) listTags() handlerFunc {
	return s.listLookups(CallWidgetService.Tags)
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
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/departments [get]
func (s *Server) listDepartments() handlerFunc {
	return s.listLookups(CallWidgetService.Departments)
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
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/automations [get]
func (s *Server) listAutomations() handlerFunc {
	return s.listLookups(CallWidgetService.Automations)
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
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		502	{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503	{object}	Problem	"upstream unavailable or rate limited"
//	@Failure		504	{object}	Problem	"upstream timeout"
//	@Router			/v1/installs [get]
func (s *Server) listInstalls(w http.ResponseWriter, r *http.Request) error {
	cw, err := callWidgetFrom(r.Context())
	if err != nil {
		return err
	}
	items, err := cw.Installs(r.Context())
	if err != nil {
		return err
	}
	if items == nil {
		items = []domain.Install{}
	}
	return writeJSON(w, http.StatusOK, InstallList{Data: items})
}
