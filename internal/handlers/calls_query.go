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
func parseCallsFilter(rawQuery string, paging bool) (callsFilter, error) {
	f := callsFilter{Limit: defaultCallsLimit}
	var errs []domain.FieldError
	bad := func(field, msg string) {
		for _, e := range errs {
			if e.Field == field && e.Message == msg {
				return
			}
		}
		errs = append(errs, domain.FieldError{Field: field, Message: msg})
	}
	// The parameters are read straight from the raw query, as
	// url.ParseQuery splits and unescapes it, without building its map.
	var company, campaign, since, until, limit, cursor queryParam
	forEachQueryPair(rawQuery, func(name, value string) {
		var p *queryParam
		switch name {
		case "company_id":
			p = &company
		case "campaign_id":
			p = &campaign
		case "since":
			p = &since
		case "until":
			p = &until
		case "limit":
			if paging {
				p = &limit
			}
		case "cursor":
			if paging {
				p = &cursor
			}
		}
		if p == nil {
			bad(queryFieldName(name), "unknown query parameter")
			return
		}
		if p.n++; p.n == 1 {
			p.value = value
		} else {
			bad(name, "must be given at most once")
		}
	})
	if v := company.value; v != "" {
		if !isDigits(v, 20) {
			bad("company_id", "must be a numeric company id")
		}
		f.CompanyID = v
	}
	if v := campaign.value; v != "" {
		if !isToken(v, 64) {
			bad("campaign_id", "must be a campaign id of at most 64 letters, digits, '-', '_' or '.'")
		}
		f.CampaignID = v
	}
	f.Since = parseTimeParam("since", since.value, bad)
	f.Until = parseTimeParam("until", until.value, bad)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		bad("since", "must be before until")
	}
	if v := limit.value; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCallsLimit {
			bad("limit", fmt.Sprintf("must be an integer from 1 to %d", maxCallsLimit))
		}
		f.Limit = n
	}
	f.Cursor = cursor.value
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return callsFilter{}, domain.ValidationError(errs...)
	}
	return f, nil
}

// queryParam is one known parameter of a query: its first value and how
// many times it was given.
type queryParam struct {
	value string
	n     int
}

// forEachQueryPair calls fn with each name and value of rawQuery, split and
// unescaped exactly as url.ParseQuery does (and, as URL.Query, skipping
// the pairs it refuses: a semicolon, a bad escape), in order.
func forEachQueryPair(rawQuery string, fn func(name, value string)) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(name)
		if err != nil {
			continue
		}
		value, err = url.QueryUnescape(value)
		if err != nil {
			continue
		}
		fn(name, value)
	}
}

func parseTimeParam(name, v string, bad func(string, string)) time.Time {
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
