package handlers

import (
	"context"
	"errors"
	"log/slog"
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
//	@Description	One page of the Phonewagon call history, newest first. Follow `next_cursor` (or the `Link: rel="next"` header) with the same filters for the next page; the cursor is opaque, signed, and bound to the tenant and the filters. Walking the pages serves every call exactly once, also when calls share a start time across a page boundary; a page may hold fewer than `limit` calls while more follow. When the account has a call-history mirror that covers the window (`since`, or the beginning of history, at or after `covered_from` of `GET /v1/sync`), the page is read from the mirror (`X-Cache: MIRROR`, `X-Synced-At`) at no upstream cost, and its cursor is a keyset: calls that arrive during the walk never shift its pages. `Cache-Control: no-cache` on such a read first runs one follow of the upstream (shared by concurrent callers, waited for up to the upstream timeout, then the page is served as held). Scope `calls:read`.
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
//	@Header			200	{string}	X-Cache	"HIT, MISS, STALE or BYPASS: served through the response cache; MIRROR: read from the call-history mirror"
//	@Header			200			{string}	Link	"<…>; rel=\"next\" when there is a next page"
//	@Header			200			{string}	X-Synced-At	"on MIRROR answers: RFC 3339 time of the mirror's last successful follow"
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
	f, err := parseCallsFilter(r.URL.RawQuery, true)
	if err != nil {
		return err
	}
	digest := f.digest()
	q := f.firstPage(f.Limit)
	q.SkipLimit = cursorSkipLimit
	if f.Cursor != "" {
		// The cursor decides the path: a walk begun on the upstream stays
		// there, and one begun on the mirror continues on it.
		p, err := s.cursors.open(f.Cursor, t.ID, digest)
		if err != nil {
			return err
		}
		if p.Version == mirrorVersion {
			if t.Mirror == nil { // the account's mirror was turned off since
				return &domain.Error{Code: domain.CodeInvalidCursor,
					Message: "cursor is not valid for this request; start again without it"}
			}
			err := s.serveMirrorPage(w, r, t, f, digest, mirrorQueryOf(p, f), s.mirrorState(r.Context(), t))
			if errors.Is(err, errMirrorRead) {
				return mirrorUnavailable(err) // a keyset page exists only in the mirror
			}
			return err
		}
		q = p.upstreamQuery()
	} else if mq, st, ok := s.mirrorPlan(r.Context(), t, pw, f); ok {
		err := s.serveMirrorPage(w, r, t, f, digest, mq, st)
		if !errors.Is(err, errMirrorRead) || r.Context().Err() != nil {
			return err
		}
		// The shared state failed between the state and the page: a
		// first page is the upstream's to answer, as without a mirror.
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "mirror unreadable; answering from the upstream",
			slog.String("request_id", RequestID(r.Context())), slog.String("error", err.Error()))
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
