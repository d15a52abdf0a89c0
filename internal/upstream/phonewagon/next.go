package phonewagon

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"switchboard/internal/upstream/upstreamhttp"
)

// maxMillis is 9999-12-31T23:59:59.999Z in epoch milliseconds: the last
// instant RFC 3339 (and so a cursor or a response) can carry.
const maxMillis = 253402300799999

// parseNext validates the upstream's next link and turns it into the
// options for the following page; prev are the options of the request that
// returned it.
//
// The link is trusted only as a description of another page of the same
// listing. Its scheme and host (port included) must be the base URL's, its
// path the base path + "/calls"; it must carry no user info or fragment, and
// its query only the parameters /calls understands, each at most once.
// Anything else is an error, and the link itself is never requested: the
// client only sends URLs it builds from CallsOptions, so a forged or
// tampered link cannot send the account's credentials anywhere.
//
// Filters: the vendor's sample asks for campaign_id=s2212 and answers with a
// next link that lacks it. Dropping the filter would silently widen the
// listing to the whole account, so company_id, campaign_id and page_size
// that the link omits are carried over from prev; values the link does name
// win. start_time and end_time are taken from the link only (they are what
// moves from page to page).
//
// A link that would fetch the same page again is an error: following it
// would never end.
func (c *Client) parseNext(link string, prev CallsOptions) (*CallsOptions, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, errors.New("next link is not a URL")
	}
	where := upstreamhttp.SanitizeURL(u)
	switch {
	case u.Opaque != "" || u.Host == "":
		return nil, fmt.Errorf("next link %s: not an absolute URL", where)
	case originOf(u) != originOf(c.base):
		return nil, fmt.Errorf("next link %s: other origin than the configured base URL", where)
	case u.User != nil:
		return nil, fmt.Errorf("next link %s: carries user info", where)
	case u.EscapedPath() != c.basePath+"/calls":
		return nil, fmt.Errorf("next link %s: path is not %s/calls", where, c.basePath)
	case u.Fragment != "":
		return nil, fmt.Errorf("next link %s: has a fragment", where)
	}

	next, err := nextOptions(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("next link %s: %w", where, err)
	}
	if next.CompanyID == "" {
		next.CompanyID = prev.CompanyID
	}
	if next.CampaignID == "" {
		next.CampaignID = prev.CampaignID
	}
	if next.PageSize == 0 {
		next.PageSize = prev.PageSize
	}
	if next.query().Encode() == prev.query().Encode() {
		return nil, fmt.Errorf("next link %s: asks for the same page again", where)
	}
	return &next, nil
}

// nextOptions parses the query of a next link.
func nextOptions(rawQuery string) (CallsOptions, error) {
	var o CallsOptions
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return o, errors.New("malformed query")
	}
	for key, values := range q {
		if len(values) != 1 {
			return o, fmt.Errorf("parameter %q repeated", key)
		}
		value := values[0]
		switch key {
		case "company_id":
			o.CompanyID = value
		case "campaign_id":
			o.CampaignID = value
		case "page_size":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return o, errors.New("page_size is not a positive integer")
			}
			o.PageSize = min(n, MaxPageSize)
		case "start_time":
			if o.Start, err = parseMillis(value); err != nil {
				return o, fmt.Errorf("start_time: %w", err)
			}
		case "end_time":
			if o.End, err = parseMillis(value); err != nil {
				return o, fmt.Errorf("end_time: %w", err)
			}
		default:
			// An unknown parameter might be what moves the listing on
			// (a cursor); dropping it could loop over one page forever.
			return o, fmt.Errorf("unknown parameter %q", key)
		}
	}
	return o, nil
}

// parseMillis parses epoch milliseconds between the epoch and year 9999.
func parseMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms < 0 || ms > maxMillis {
		return time.Time{}, errors.New("not epoch milliseconds")
	}
	return time.UnixMilli(ms).UTC(), nil
}
