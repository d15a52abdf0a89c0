package upstreamhttp

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter bounds what an upstream can ask for: a Retry-After of a year
// is a bug on their side, not a reason to stop serving for a year.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter parses a Retry-After header value, either delay-seconds
// ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT") taken relative to
// now. ok is false when the value is empty or unparseable. A date in the past
// yields 0 with ok true (retry now); values are capped at 24 hours.
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	d = at.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxRetryAfter:
		return maxRetryAfter, true
	}
	// Round up: a retry a fraction of a second early would be refused again.
	return (d + time.Second - 1).Truncate(time.Second), true
}
