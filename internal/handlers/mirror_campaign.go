package handlers

import (
	"context"
	"encoding/json"
	"log/slog"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// mirrorCampaign resolves the campaign_id of f to what the mirror can query
// by: call records carry only their campaign's name, so the id is looked
// up in the campaigns of the company_id given, or else of every company,
// as GET /v1/campaigns serves them through the response cache (a fresh
// list costs no budget; a miss costs what that listing costs: one request
// for one company, one per company and the company list for all).
//
// ok is false, sending the query to the upstream (which filters by id
// itself), when:
//   - the campaign list cannot be had (the upstream fails and nothing is
//     cached): the upstream path answers with its own cache or problem;
//   - no campaign has that id (the upstream then answers an empty page, as
//     it does for any unknown id);
//   - company_id names another company than the campaign's (idem);
//   - another campaign of the same company has the same name, so that the
//     name alone would mix their calls.
func (s *Server) mirrorCampaign(ctx context.Context, t *Tenant, pw PhonewagonService, f callsFilter) (companyID, name string, ok bool) {
	res, err := s.cache.Fetch(ctx, campaignsKey(t, f.CompanyID), false, func(ctx context.Context) (cache.Entry, error) {
		return entryOf(s.fillCampaigns(t, pw, f.CompanyID)(ctx))
	})
	if err != nil {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "campaign list unavailable; calls by campaign answered from the upstream",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
		return "", "", false
	}
	var list CampaignList
	if err := json.Unmarshal(res.Entry.Body, &list); err != nil {
		return "", "", false
	}
	return resolveCampaign(list.Data, f.CampaignID, f.CompanyID)
}

// resolveCampaign finds campaign id among campaigns and returns its company
// and name, provided the name is unique within the company and the company
// is companyFilter when one is given.
func resolveCampaign(campaigns []domain.Campaign, id, companyFilter string) (companyID, name string, ok bool) {
	var found *domain.Campaign
	for i := range campaigns {
		if campaigns[i].ID == id {
			found = &campaigns[i]
			break
		}
	}
	if found == nil || found.Name == "" || (companyFilter != "" && companyFilter != found.CompanyID) {
		return "", "", false
	}
	for i := range campaigns {
		c := &campaigns[i]
		if c.ID != found.ID && c.CompanyID == found.CompanyID && c.Name == found.Name {
			return "", "", false
		}
	}
	return found.CompanyID, found.Name, true
}
