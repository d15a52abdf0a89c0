package phonewagonsim

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPageSize is the documented cap of one page of calls.
const maxPageSize = 1000

// callsQuery is the parsed query of GET /calls.
type callsQuery struct {
	companyID  int64
	hasCompany bool
	campaignID string
	start, end int64 // epoch ms, both inclusive
	pageSize   int
}

// callsPage is the body of GET /calls. Next is absent on the last page.
type callsPage struct {
	Calls []Call `json:"calls"`
	Next  string `json:"next,omitempty"`
}

// calls serves GET /calls: the account's calls in [start_time, end_time],
// newest first, at most page_size of them, with a next URL when more match.
func (s *Server) calls(w http.ResponseWriter, r *http.Request, acct *account) {
	now := s.now()
	q, err := parseCallsQuery(r.URL.Query(), now.UnixMilli())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.callsPage(r, q, acct, now))
}

// callsPage selects one page under the account's lock; the records are
// copied, so the answer is written after unlocking.
func (s *Server) callsPage(r *http.Request, q callsQuery, acct *account, now time.Time) callsPage {
	acct.mu.Lock()
	defer acct.mu.Unlock()
	all := acct.callsAt(now) // newest first; ties by descending id
	i := sort.Search(len(all), func(i int) bool { return all[i].StartTime <= q.end })
	page := callsPage{Calls: make([]Call, 0, min(q.pageSize, 64))}
	for ; i < len(all) && all[i].StartTime >= q.start; i++ {
		if !q.matches(&all[i]) {
			continue
		}
		if len(page.Calls) == q.pageSize {
			page.Next = nextURL(r, q, page.Calls[len(page.Calls)-1].StartTime-1)
			break
		}
		page.Calls = append(page.Calls, all[i])
	}
	return page
}

// matches applies the company and campaign filters.
func (q callsQuery) matches(c *Call) bool {
	if q.hasCompany && c.CompanyID != q.companyID {
		return false
	}
	return q.campaignID == "" || c.CampaignID == q.campaignID
}

// parseCallsQuery reads the documented parameters; an empty value counts as
// absent. nowMS is the default end_time.
func parseCallsQuery(v url.Values, nowMS int64) (callsQuery, error) {
	q := callsQuery{campaignID: v.Get("campaign_id"), end: nowMS, pageSize: maxPageSize}
	var err error
	if raw := v.Get("company_id"); raw != "" {
		if q.companyID, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return q, errors.New("company_id must be an integer")
		}
		q.hasCompany = true
	}
	if raw := v.Get("start_time"); raw != "" {
		if q.start, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return q, errors.New("start_time must be an integer (epoch milliseconds)")
		}
	}
	if raw := v.Get("end_time"); raw != "" {
		if q.end, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return q, errors.New("end_time must be an integer (epoch milliseconds)")
		}
	}
	if raw := v.Get("page_size"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(raw, "-"):
			n = maxPageSize // numeric, just huge: truncated like any size over the cap
		case err != nil || n < 1:
			return q, errors.New("page_size must be a positive integer")
		}
		q.pageSize = int(min(n, maxPageSize))
	}
	return q, nil
}

// nextURL builds the absolute URL of the page after the one ending at
// end+1, in the scheme of the docs' sample
// (".../calls?page_size=1&start_time=0&end_time=1575322415999&"): the
// effective page size, the same start_time, end_time just below the last
// returned start_time, every pair followed by '&'. Like the real upstream's,
// this link skips the calls that share the last returned start_time but did
// not fit on the page; a client must not follow it blindly. The sample drops the
// campaign_id its request had; that would widen the query on the next page,
// so the simulator keeps both filters, after end_time.
func nextURL(r *http.Request, q callsQuery, end int64) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s://%s/calls?page_size=%d&start_time=%d&end_time=%d&", scheme, r.Host, q.pageSize, q.start, end)
	if q.hasCompany {
		fmt.Fprintf(&b, "company_id=%d&", q.companyID)
	}
	if q.campaignID != "" {
		fmt.Fprintf(&b, "campaign_id=%s&", url.QueryEscape(q.campaignID))
	}
	return b.String()
}
