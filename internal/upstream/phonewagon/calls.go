package phonewagon

import (
	"context"
	"encoding/json"
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

// call is one element of the vendor's "calls" list.
type call struct {
	AccountID         flexString `json:"account_id"`
	AdPosition        flexString `json:"ad_position"`
	CampaignName      flexString `json:"campaign_name"`
	CompanyID         flexString `json:"company_id"`
	ContactName       flexString `json:"contact_name"`
	Device            flexString `json:"device"`
	Direction         flexString `json:"direction"`
	Duration          flexInt    `json:"duration"`
	FBCLID            flexString `json:"fbclid"`
	FromNumber        flexString `json:"from_number"`
	GCLID             flexString `json:"gclid"`
	ID                flexString `json:"id"`
	IsFirstTimeCaller flexBool   `json:"is_first_time_caller"`
	Keyword           flexString `json:"keyword"`
	LandingPage       flexString `json:"landing_page"`
	MatchType         flexString `json:"match_type"`
	MSCLKID           flexString `json:"msclkid"`
	Network           flexString `json:"network"`
	RecordingURL      flexString `json:"recording_url"`
	ReferralValue     flexString `json:"referral_value"`
	SID               flexString `json:"sid"`
	StartTime         flexInt    `json:"start_time"`
	Status            flexString `json:"status"`
	ToNumber          flexString `json:"to_number"`
	UnbouncePageID    flexString `json:"unbounce_page_id"`
	UnbounceVariantID flexString `json:"unbounce_variant_id"`
	UnbounceVisitorID flexString `json:"unbounce_visitor_id"`
	UserSource        flexString `json:"user_source"`
	UTMCampaign       flexString `json:"utm_campaign"`
	UTMContent        flexString `json:"utm_content"`
	UTMMedium         flexString `json:"utm_medium"`
	UTMSource         flexString `json:"utm_source"`
	UTMTerm           flexString `json:"utm_term"`
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

// decodeCalls decodes and normalizes a /calls body. more reports whether
// the body carries a next link, after checking that the link points at this
// account's /calls (see checkNext).
func (c *Client) decodeCalls(body []byte) (listed []listedCall, more bool, err error) {
	raw, top, err := decodeEnvelope(body, "calls")
	if err != nil {
		return nil, false, err
	}
	list, err := decodeList[call](raw, "calls")
	if err != nil {
		return nil, false, err
	}
	listed = make([]listedCall, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, false, missingID("calls", i)
		}
		rec, err := normalizeCall(v)
		if err != nil {
			return nil, false, badAnswer(fmt.Errorf("decode calls[%d]: %w", i, err))
		}
		l := listedCall{call: rec, startMillis: -1}
		if v.StartTime.set {
			l.startMillis = v.StartTime.value
		}
		listed = append(listed, l)
	}

	// "next" absent, null or "" all mean this is the last page.
	var link *string
	if rawNext, ok := top["next"]; ok {
		if err := json.Unmarshal(rawNext, &link); err != nil {
			return nil, false, badAnswer(fmt.Errorf("decode next: %w", err))
		}
	}
	if link == nil || *link == "" {
		return listed, false, nil
	}
	if err := c.checkNext(*link); err != nil {
		return nil, false, badAnswer(fmt.Errorf("decode next: %w", err))
	}
	return listed, true, nil
}
