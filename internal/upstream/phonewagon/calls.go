package phonewagon

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"switchboard/internal/domain"
)

// MaxPageSize is the largest page the upstream serves; it truncates bigger
// requests to it, and so does the client.
const MaxPageSize = 1000

// callsParams encodes q as the /calls query string. page_size leaves room
// for the ids q skips (see upstreamPageSize).
func callsParams(q domain.CallsQuery) url.Values {
	v := url.Values{}
	if q.CompanyID != "" {
		v.Set("company_id", q.CompanyID)
	}
	if q.CampaignID != "" {
		v.Set("campaign_id", q.CampaignID)
	}
	if !q.Start.IsZero() {
		v.Set("start_time", strconv.FormatInt(q.Start.UnixMilli(), 10))
	}
	if !q.End.IsZero() {
		v.Set("end_time", strconv.FormatInt(q.End.UnixMilli(), 10))
	}
	v.Set("page_size", strconv.Itoa(upstreamPageSize(q)))
	return v
}

// Calls returns one page of the call history for q and, when more calls
// match, the query of the following page (see walk.go): pass it back
// unchanged to get that page. Walking the pages this way serves every call
// exactly once, newest first, even when calls share a start time across a
// page boundary; the upstream's own next link is used only as the sign that
// more calls match, never followed.
//
// Phonewagon API: GET /calls
func (c *Client) Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, *Response, error) {
	const op = "phonewagon: list calls"
	if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
		return domain.CallsPage{}, nil, fmt.Errorf("%s: %w", op,
			domain.ValidationError(domain.FieldError{Field: "end", Message: "must not be before start"}))
	}
	body, resp, err := c.get(ctx, "calls", c.endpointURL("/calls", callsParams(q)), callsBodyLimit)
	if err != nil {
		return domain.CallsPage{}, resp, fmt.Errorf("%s: %w", op, err)
	}
	listed, more, err := c.decodeCalls(body)
	if err != nil {
		return domain.CallsPage{}, resp, fmt.Errorf("%s: %w", op, err)
	}
	page, err := pageOf(q, listed, more)
	if err != nil {
		return domain.CallsPage{}, resp, fmt.Errorf("%s: %w", op, err)
	}
	return page, resp, nil
}

// decodeCalls decodes and normalizes a /calls body (see calls_decode.go).
// more reports whether the body carries a next link, after checking that
// the link points at this account's /calls (see checkNext).
func (c *Client) decodeCalls(body []byte) (listed []listedCall, more bool, err error) {
	listed, link, err := readCallsPage(body)
	if err != nil {
		return nil, false, err
	}
	// "next" absent, null or "" all mean this is the last page.
	if link == "" {
		return listed, false, nil
	}
	if err := c.checkNext(link); err != nil {
		return nil, false, badAnswer(fmt.Errorf("decode next: %w", err))
	}
	return listed, true, nil
}
