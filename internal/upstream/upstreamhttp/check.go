package upstreamhttp

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// ErrorBodyLimit caps how much of a non-2xx body is read into StatusError:
// enough to diagnose, too little to hurt if the upstream sends a novel.
const ErrorBodyLimit = 4 << 10

// Default Retry-After values for answers that ask to wait without saying for
// how long.
const (
	DefaultRateLimitedRetry = 60 * time.Second
	DefaultUnavailableRetry = 30 * time.Second
)

// StatusError is the log-only cause of a non-2xx upstream answer. URL is
// sanitized (see SanitizeURL), and Body is the first ErrorBodyLimit bytes
// of the answer, sanitized and capped (see SanitizeBody).
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
	Body       string
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if body := strings.TrimSpace(e.Body); body != "" {
		msg += ": " + body
	}
	return msg
}

// CheckResponse returns nil when r answered 2xx. Otherwise it reads at most
// ErrorBodyLimit bytes of the body (the caller still closes it) and returns a
// *domain.Error whose message names upstream (a display name such as
// "Phonewagon") and whose cause is a *StatusError:
//
//	401, 403        → upstream-auth-failed
//	429             → upstream-rate-limited, RetryAfter from Retry-After or DefaultRateLimitedRetry
//	503             → upstream-unavailable, RetryAfter from Retry-After or DefaultUnavailableRetry
//	anything else   → upstream-error (3xx included: clients do not follow redirects)
//
// now is the reference for a Retry-After given as an HTTP-date.
func CheckResponse(r *http.Response, upstream string, now time.Time) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	cause := &StatusError{StatusCode: r.StatusCode}
	if r.Request != nil {
		cause.Method = r.Request.Method
		cause.URL = SanitizeURL(r.Request.URL)
	}
	if r.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(r.Body, ErrorBodyLimit))
		cause.Body = SanitizeBody(body)
	}

	switch r.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return domain.Wrap(cause, domain.CodeUpstreamAuthFailed, upstream+" rejected the configured credentials")
	case http.StatusTooManyRequests:
		e := domain.Wrap(cause, domain.CodeUpstreamRateLimited, upstream+" is rate limiting this account")
		e.RetryAfter = retryAfter(r.Header, now, DefaultRateLimitedRetry)
		return e
	case http.StatusServiceUnavailable:
		e := domain.Wrap(cause, domain.CodeUpstreamUnavailable, upstream+" is unavailable")
		e.RetryAfter = retryAfter(r.Header, now, DefaultUnavailableRetry)
		return e
	}
	return domain.Wrap(cause, domain.CodeUpstreamError,
		fmt.Sprintf("%s answered with an unexpected status %d", upstream, r.StatusCode))
}

// retryAfter reads the Retry-After header, falling back to def when it is
// absent or unparseable. A zero or past value becomes one second: a zero wait
// would have callers hammer the upstream that just refused them.
func retryAfter(h http.Header, now time.Time, def time.Duration) time.Duration {
	d, ok := ParseRetryAfter(h.Get("Retry-After"), now)
	if !ok {
		return def
	}
	return max(d, time.Second)
}
