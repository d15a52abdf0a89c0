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

// checkNext validates the upstream's next link, the sign that more calls
// match the query.
//
// The link is never requested and its values are not used: the next page's
// query is built by the client (walk.go), because the link asks for
// end_time = the last call's start_time - 1 and so would skip the other
// calls of that millisecond. It is still checked, so that an answer whose
// link points anywhere but this account's /calls is refused as an upstream
// error rather than trusted: its scheme and host (port included) must be the
// base URL's, its path the base path + "/calls"; it must carry no user info
// or fragment, and its query only the parameters /calls understands, each at
// most once and well-formed. An unknown parameter may be what moves the
// listing on (a cursor this client does not know), so it is refused too.
func (c *Client) checkNext(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return errors.New("next link is not a URL")
	}
	where := upstreamhttp.SanitizeURL(u)
	switch {
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("next link %s: not an absolute URL", where)
	case originOf(u) != originOf(c.base):
		return fmt.Errorf("next link %s: other origin than the configured base URL", where)
	case u.User != nil:
		return fmt.Errorf("next link %s: carries user info", where)
	case u.EscapedPath() != c.basePath+"/calls":
		return fmt.Errorf("next link %s: path is not %s/calls", where, c.basePath)
	case u.Fragment != "":
		return fmt.Errorf("next link %s: has a fragment", where)
	}
	if err := checkNextQuery(u.RawQuery); err != nil {
		return fmt.Errorf("next link %s: %w", where, err)
	}
	return nil
}

// checkNextQuery checks the query of a next link.
func checkNextQuery(rawQuery string) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errors.New("malformed query")
	}
	for key, values := range q {
		if len(values) != 1 {
			return fmt.Errorf("parameter %q repeated", key)
		}
		value := values[0]
		switch key {
		case "company_id", "campaign_id":
		case "page_size":
			if n, err := strconv.Atoi(value); err != nil || n < 1 {
				return errors.New("page_size is not a positive integer")
			}
		case "start_time", "end_time":
			if _, err := parseMillis(value); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		default:
			return fmt.Errorf("unknown parameter %q", key)
		}
	}
	return nil
}

// parseMillis parses epoch milliseconds between the epoch and year 9999.
func parseMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms < 0 || ms > maxMillis {
		return time.Time{}, errors.New("not epoch milliseconds")
	}
	return time.UnixMilli(ms).UTC(), nil
}
