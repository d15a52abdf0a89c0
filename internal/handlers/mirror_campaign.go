package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// mirrorCampaign resolves the campaign_id of f to what the mirror can query
// by: call records carry only their campaign's name, so the id is looked
// up in the campaign lists GET /v1/campaigns serves through the response
// cache. A resolution is remembered until its list stops being fresh; a
// stale list, which the cache serves only when the upstream fails to fill
// it again (as GET /v1/campaigns would answer then), resolves that one
// read and is never remembered, so that the mirror keeps answering through
// an upstream outage. The cheapest source answers first:
//
//  1. a resolution remembered from a list still fresh (campaignMemo);
//  2. with company_id, that company's list, filled on a miss (one request);
//  3. without it, the fresh lists already cached: each company's, then the
//     list of every company's campaigns;
//  4. then the lists of the companies not cached, filled through their own
//     keys (so that GET /v1/campaigns?company_id= hits them too), at most
//     campaignFanOut at a time, none started once the id is found.
//
// Step 4 stops at the first company that has the id. That is exact because
// a Phonewagon campaign id names one campaign of the account: GET /calls
// filters by campaign_id alone, without a company, and the lists give ids
// unique across the account ("s2212").
//
// ok is false, sending the query to the upstream (which filters by id
// itself and so answers right whatever the lists say), when:
//   - no list can be had (the upstream fails, the budget is spent, and
//     nothing is cached): the upstream path answers with its own cache or
//     problem;
//   - no campaign has that id (the upstream then answers an empty page, as
//     it does for any unknown id);
//   - company_id names another company than the campaign's (idem);
//   - another campaign of the same company has the same name, so that the
//     name alone would mix their calls.
func (s *Server) mirrorCampaign(ctx context.Context, t *Tenant, pw PhonewagonService, f callsFilter) (companyID, name string, ok bool) {
	key := campaignMemoKey{tenant: t.ID, account: t.PhonewagonAccount, campaign: f.CampaignID}
	if company, name, ok := s.campaigns.get(key, s.cache.Now()); ok {
		if f.CompanyID != "" && f.CompanyID != company {
			return "", "", false
		}
		return company, name, true
	}
	var res campaignResolution
	if f.CompanyID != "" {
		list, expires, err := s.companyCampaigns(ctx, t, pw, f.CompanyID)
		if err != nil {
			s.logCampaignsUnavailable(ctx, err)
			return "", "", false
		}
		res = resolveIn(list, expires, f.CampaignID)
	} else {
		res = s.resolveAcrossCompanies(ctx, t, pw, f.CampaignID)
	}
	if !res.ok {
		return "", "", false
	}
	s.campaigns.put(key, res.company, res.name, res.expires, s.cache.Now())
	if f.CompanyID != "" && f.CompanyID != res.company {
		return "", "", false
	}
	return res.company, res.name, true
}

// campaignResolution is a campaign id resolved from a list fresh until
// expires.
type campaignResolution struct {
	company, name string
	expires       time.Time
	ok            bool
}

// resolveIn resolves id in one list fresh until expires.
func resolveIn(list []domain.Campaign, expires time.Time, id string) campaignResolution {
	company, name, ok := resolveCampaign(list, id, "")
	return campaignResolution{company: company, name: name, expires: expires, ok: ok}
}

// resolveAcrossCompanies resolves a campaign id given without company_id
// (steps 3 and 4 of mirrorCampaign).
func (s *Server) resolveAcrossCompanies(ctx context.Context, t *Tenant, pw PhonewagonService, id string) campaignResolution {
	companies, err := s.cachedCompanies(ctx, t, pw)
	if err != nil {
		s.logCampaignsUnavailable(ctx, err)
		return campaignResolution{}
	}
	var missing []string
	for _, c := range companies {
		list, expires, ok := s.peekCampaigns(ctx, campaignsKey(t, c.ID))
		if !ok {
			missing = append(missing, c.ID)
			continue
		}
		if hasCampaign(list, id) {
			return resolveIn(list, expires, id)
		}
	}
	if list, expires, ok := s.peekCampaigns(ctx, campaignsKey(t, "")); ok {
		// Every company's campaigns, fresh: what it does not hold is
		// unknown, and the upstream answers for it.
		return resolveIn(list, expires, id)
	}
	return s.resolveInMissing(ctx, t, pw, missing, id)
}

// resolveInMissing fills the campaign lists of companies, at most
// campaignFanOut at a time in company order, starting none once one of
// them holds id, and resolves id in the list that holds it.
func (s *Server) resolveInMissing(ctx context.Context, t *Tenant, pw PhonewagonService, companies []string, id string) campaignResolution {
	var found atomic.Pointer[campaignResolution]
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(campaignFanOut)
	for _, company := range companies {
		if found.Load() != nil {
			break
		}
		g.Go(func() error {
			if found.Load() != nil {
				return nil
			}
			list, expires, err := s.companyCampaigns(gctx, t, pw, company)
			if err != nil {
				return err
			}
			if hasCampaign(list, id) {
				res := resolveIn(list, expires, id)
				found.CompareAndSwap(nil, &res)
			}
			return nil
		})
	}
	err := g.Wait()
	if res := found.Load(); res != nil {
		return *res
	}
	if err != nil {
		s.logCampaignsUnavailable(ctx, err)
	}
	return campaignResolution{}
}

// companyCampaigns returns one company's campaign list through the response
// cache (a fill on a miss costs one request) and when it stops being fresh:
// the zero time for a stale list, served by the cache because the upstream
// failed, so that what it resolves is not remembered.
func (s *Server) companyCampaigns(ctx context.Context, t *Tenant, pw PhonewagonService, companyID string) ([]domain.Campaign, time.Time, error) {
	res, err := s.cache.Fetch(ctx, campaignsKey(t, companyID), false, func(ctx context.Context) (cache.Entry, error) {
		return entryOf(s.fillCampaigns(t, pw, companyID)(ctx))
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	var list CampaignList
	if err := json.Unmarshal(res.Entry.Body, &list); err != nil {
		return nil, time.Time{}, err
	}
	if res.Status == cache.StatusStale {
		return list.Data, time.Time{}, nil
	}
	return list.Data, res.Entry.StoredAt.Add(res.Entry.FreshFor), nil
}

// peekCampaigns returns the campaign list cached under key when it is
// fresh, without asking the upstream.
func (s *Server) peekCampaigns(ctx context.Context, key string) ([]domain.Campaign, time.Time, bool) {
	e, expires, ok := s.cache.Peek(ctx, key)
	if !ok {
		return nil, time.Time{}, false
	}
	var list CampaignList
	if err := json.Unmarshal(e.Body, &list); err != nil {
		return nil, time.Time{}, false
	}
	return list.Data, expires, true
}

// logCampaignsUnavailable notes that a campaign_id read goes upstream
// because no fresh campaign list could be had.
func (s *Server) logCampaignsUnavailable(ctx context.Context, err error) {
	s.logger.LogAttrs(ctx, slog.LevelInfo, "campaign list unavailable; calls by campaign answered from the upstream",
		slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
}

// hasCampaign reports whether campaigns holds id.
func hasCampaign(campaigns []domain.Campaign, id string) bool {
	for i := range campaigns {
		if campaigns[i].ID == id {
			return true
		}
	}
	return false
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
