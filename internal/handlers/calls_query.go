package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// Limits of GET /v1/calls.
const (
	defaultCallsLimit = 100
	maxCallsLimit     = 1000
	exportPageSize    = 1000
)

// callsFilter is the validated query of GET /v1/calls and its export.
type callsFilter struct {
	CompanyID  string
	CampaignID string
	Since      time.Time // inclusive; zero = unset
	Until      time.Time // exclusive; zero = unset
	Limit      int
	Cursor     string
}

// parseCallsFilter validates the query string, reporting every bad
// parameter by name. A parameter given twice is refused rather than
// guessed at (query-parameter pollution), and so is an unknown one, so that
// a typo is not silently an unfiltered query.
func parseCallsFilter(q url.Values, paging bool) (callsFilter, error) {
	allowed := map[string]bool{"company_id": true, "campaign_id": true, "since": true, "until": true}
	if paging {
		allowed["limit"], allowed["cursor"] = true, true
	}
	f := callsFilter{Limit: defaultCallsLimit}
	var errs []domain.FieldError
	bad := func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
	for name, vals := range q {
		switch {
		case !allowed[name]:
			bad(queryFieldName(name), "unknown query parameter")
		case len(vals) > 1:
			bad(name, "must be given at most once")
		}
	}
	if v := q.Get("company_id"); v != "" {
		if !isDigits(v, 20) {
			bad("company_id", "must be a numeric company id")
		}
		f.CompanyID = v
	}
	if v := q.Get("campaign_id"); v != "" {
		if !isToken(v, 64) {
			bad("campaign_id", "must be a campaign id of at most 64 letters, digits, '-', '_' or '.'")
		}
		f.CampaignID = v
	}
	f.Since = parseTimeParam(q, "since", bad)
	f.Until = parseTimeParam(q, "until", bad)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		bad("since", "must be before until")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCallsLimit {
			bad("limit", fmt.Sprintf("must be an integer from 1 to %d", maxCallsLimit))
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return callsFilter{}, domain.ValidationError(errs...)
	}
	return f, nil
}

func parseTimeParam(q url.Values, name string, bad func(string, string)) time.Time {
	v := q.Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		bad(name, "must be an RFC 3339 time such as 2019-12-02T21:33:36Z")
		return time.Time{}
	}
	// The upstream counts milliseconds.
	return t.UTC().Truncate(time.Millisecond)
}

// firstPage is the upstream request for the first page. until is
// exclusive on our side and end_time inclusive upstream, hence the 1 ms.
func (f callsFilter) firstPage(pageSize int) domain.CallsQuery {
	q := domain.CallsQuery{CompanyID: f.CompanyID, CampaignID: f.CampaignID, Start: f.Since, PageSize: pageSize}
	if !f.Until.IsZero() {
		q.End = f.Until.Add(-time.Millisecond)
	}
	return q
}

// digest identifies the filters a cursor belongs to: the same filters in any
// order or spelling of time zone give the same digest.
func (f callsFilter) digest() string {
	var stack [128]byte
	b := append(stack[:0], f.CompanyID...)
	b = append(b, 0)
	b = append(b, f.CampaignID...)
	b = append(b, 0)
	b = strconv.AppendInt(b, unixMilli(f.Since), 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, unixMilli(f.Until), 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(f.Limit), 10)
	sum := sha256.Sum256(b)
	var out [24]byte
	hex.Encode(out[:], sum[:12])
	return string(out[:])
}

// canonical renders the filters as a query string in a fixed order: the
// base of Link headers and of cache keys.
func (f callsFilter) canonical(paging bool) url.Values {
	v := url.Values{}
	if f.CompanyID != "" {
		v.Set("company_id", f.CompanyID)
	}
	if f.CampaignID != "" {
		v.Set("campaign_id", f.CampaignID)
	}
	if !f.Since.IsZero() {
		v.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		v.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	if paging {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func isDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// queryFieldName bounds an unknown parameter's name before it is echoed.
func queryFieldName(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	return strings.ToValidUTF8(name, "?")
}
