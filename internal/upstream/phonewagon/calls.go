package phonewagon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"switchboard/internal/domain"
)

// MaxPageSize is the largest page the upstream serves; it truncates bigger
// requests to it, and so does CallsOptions.
const MaxPageSize = 1000

// CallsOptions selects a page of the call history. The zero value asks for
// the upstream's defaults: every call of the account, up to MaxPageSize.
type CallsOptions struct {
	// CompanyID limits the page to one company (an id from Companies).
	CompanyID string
	// CampaignID limits the page to one campaign (an id from Campaigns).
	CampaignID string
	// Start and End bound the calls' start time; zero means unset (the
	// upstream defaults to the epoch and to now). Sent as epoch milliseconds.
	Start, End time.Time
	// PageSize is the number of calls per page; 0 means the upstream's
	// default, other values are clamped to 1..MaxPageSize.
	PageSize int
}

// query encodes o as the /calls query string.
func (o CallsOptions) query() url.Values {
	q := url.Values{}
	if o.CompanyID != "" {
		q.Set("company_id", o.CompanyID)
	}
	if o.CampaignID != "" {
		q.Set("campaign_id", o.CampaignID)
	}
	if !o.Start.IsZero() {
		q.Set("start_time", strconv.FormatInt(o.Start.UnixMilli(), 10))
	}
	if !o.End.IsZero() {
		q.Set("end_time", strconv.FormatInt(o.End.UnixMilli(), 10))
	}
	if o.PageSize != 0 {
		q.Set("page_size", strconv.Itoa(min(max(o.PageSize, 1), MaxPageSize)))
	}
	return q
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

// Calls returns one page of the call history. When there are more,
// Response.Next holds the options for the following page; pass them back
// unchanged to get it.
//
// Phonewagon API: GET /calls
func (c *Client) Calls(ctx context.Context, opts CallsOptions) ([]domain.Call, *Response, error) {
	const op = "phonewagon: list calls"
	if !opts.Start.IsZero() && !opts.End.IsZero() && opts.End.Before(opts.Start) {
		return nil, nil, fmt.Errorf("%s: %w", op,
			domain.ValidationError(domain.FieldError{Field: "end", Message: "must not be before start"}))
	}
	body, resp, err := c.get(ctx, "calls", c.endpointURL("/calls", opts.query()), callsBodyLimit)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	calls, next, err := c.decodeCalls(body, opts)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	resp.Next = next
	return calls, resp, nil
}

// decodeCalls decodes and normalizes a /calls body; prev are the options of
// the request that produced it.
func (c *Client) decodeCalls(body []byte, prev CallsOptions) ([]domain.Call, *CallsOptions, error) {
	raw, top, err := decodeEnvelope(body, "calls")
	if err != nil {
		return nil, nil, err
	}
	list, err := decodeList[call](raw, "calls")
	if err != nil {
		return nil, nil, err
	}
	out := make([]domain.Call, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, nil, missingID("calls", i)
		}
		rec, err := normalizeCall(v)
		if err != nil {
			return nil, nil, badAnswer(fmt.Errorf("decode calls[%d]: %w", i, err))
		}
		out = append(out, rec)
	}

	// "next" absent, null or "" all mean this is the last page.
	var link *string
	if rawNext, ok := top["next"]; ok {
		if err := json.Unmarshal(rawNext, &link); err != nil {
			return nil, nil, badAnswer(fmt.Errorf("decode next: %w", err))
		}
	}
	if link == nil || *link == "" {
		return out, nil, nil
	}
	next, err := c.parseNext(*link, prev)
	if err != nil {
		return nil, nil, badAnswer(fmt.Errorf("decode next: %w", err))
	}
	return out, next, nil
}
