package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// CallList is one page of the call history.
type CallList struct {
	Data []domain.Call `json:"data"`
	// NextCursor continues the listing; null on the last page.
	NextCursor *string `json:"next_cursor" swaggertype:"string" extensions:"x-nullable"`
}

// listCalls godoc
//
//	@Summary		List calls
//	@ID				listCalls
//	@Description	One page of the Phonewagon call history, newest first. Follow `next_cursor` (or the `Link: rel="next"` header) with the same filters for the next page; the cursor is opaque, signed, and bound to the tenant and the filters. Walking the pages serves every call exactly once, also when calls share a start time across a page boundary; a page may hold fewer than `limit` calls while more follow. Scope `calls:read`.
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Param			company_id	query		string	false	"Phonewagon company id, from GET /v1/companies (for example 1001)"
//	@Param			campaign_id	query		string	false	"Phonewagon campaign id, from GET /v1/campaigns (for example s2212)"
//	@Param			since		query		string	false	"RFC 3339 time, inclusive"				format(date-time)
//	@Param			until		query		string	false	"RFC 3339 time, exclusive; after since"	format(date-time)
//	@Param			limit		query		int		false	"page size"								minimum(1)	maximum(1000)	default(100)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"
//	@Success		200			{object}	CallList
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache"
//	@Header			200			{string}	Link	"<…>; rel=\"next\" when there is a next page"
//	@Failure		400			{object}	Problem	"invalid filter, limit or cursor"
//	@Failure		401			{object}	Problem	"missing or invalid token"
//	@Failure		403			{object}	Problem	"scope missing, unknown tenant, or no Phonewagon account"
//	@Failure		502			{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503			{object}	Problem	"upstream unavailable, rate limited, or budget exhausted"
//	@Failure		504			{object}	Problem	"upstream timeout"
//	@Router			/v1/calls [get]
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) error {
	t, pw, err := phonewagonFrom(r.Context())
	if err != nil {
		return err
	}
	f, err := parseCallsFilter(r.URL.Query(), true)
	if err != nil {
		return err
	}
	digest := f.digest()
	q := f.firstPage(f.Limit)
	q.SkipLimit = cursorSkipLimit
	if f.Cursor != "" {
		if q, err = s.cursors.verify(f.Cursor, t.ID, digest); err != nil {
			return err
		}
	}
	return s.serveCached(w, r, t, callsCacheKey(t, digest, q), func(ctx context.Context) (page, error) {
		res, err := pw.Calls(ctx, q)
		if err != nil {
			return page{}, err
		}
		p := page{value: CallList{Data: nonNil(res.Calls)}, freshFor: callsTTL(q, time.Now())}
		if res.Next != nil {
			c, err := s.cursors.cursorFor(*res.Next, t.ID, digest)
			if err != nil {
				return page{}, err
			}
			p.value = CallList{Data: nonNil(res.Calls), NextCursor: &c}
			next := f.canonical(true)
			next.Set("cursor", c)
			p.header = map[string]string{"Link": `</v1/calls?` + next.Encode() + `>; rel="next"`}
		}
		return p, nil
	})
}

// callsCacheKey names the cached answer to q: the skipped ids are part of
// the page asked for.
func callsCacheKey(t *Tenant, digest string, q domain.CallsQuery) string {
	start, end := strconv.FormatInt(unixMilli(q.Start), 10), strconv.FormatInt(unixMilli(q.End), 10)
	if len(q.Skip) == 0 { // the first page of every listing: keep it allocation-light
		return cache.Key(t.ID, t.PhonewagonAccount, "calls", digest, q.CompanyID, q.CampaignID,
			start, end, strconv.Itoa(q.PageSize))
	}
	parts := append([]string{t.ID, t.PhonewagonAccount, "calls", digest, q.CompanyID, q.CampaignID,
		start, end, strconv.Itoa(q.PageSize)}, q.Skip...)
	return cache.Key(parts...)
}
