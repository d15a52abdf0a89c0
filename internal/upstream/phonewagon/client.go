// Package phonewagon is the client of the Phonewagon API: companies,
// campaigns and the call history, walked page by page without losing the
// calls that share a start time across a page boundary (walk.go).
//
// The vendor's JSON shapes stay inside this package; every method returns
// the normalized records of package domain and fails with a *domain.Error
// (wrapped with an operation prefix) whose code says what went wrong
// upstream. The caller's own context cancellation is the exception: it comes
// back as the context's error, because nobody is waiting for an answer.
package phonewagon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// displayName names the upstream in caller-safe error messages.
const displayName = "Phonewagon"

// DefaultTimeout bounds one whole request (connect, headers and body) when
// Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Config configures a Client. Zero fields mean the documented defaults.
type Config struct {
	// BaseURL is the account's API root, e.g. https://dev.phonewagon.com;
	// the endpoints /companies, /campaigns and /calls live below its path.
	// Required; http or https, no user info, query or fragment.
	BaseURL string
	// ClientID is the basic-auth username. Required; must not contain ':'.
	ClientID string
	// ClientSecret is the basic-auth password. Required.
	ClientSecret domain.Secret
	// Transport sends the requests. Default: a new bounded transport from
	// upstreamhttp.NewTransport; pass one shared transport to every client
	// of the process so that they share a connection pool.
	Transport http.RoundTripper
	// Timeout bounds each whole request once the budget admitted it.
	// Default DefaultTimeout; negative is invalid.
	Timeout time.Duration
	// Budget admits requests against the account's per-minute allowance.
	// Nil means unlimited.
	Budget Budget
	// Observe, when set, is called once per network request with the
	// endpoint ("companies", "campaigns", "calls"), the HTTP status (0 when
	// no answer arrived) and the time taken. It must be safe for concurrent
	// use and must not block.
	Observe func(endpoint string, status int, d time.Duration)
	// Now is the clock used to read a Retry-After given as an HTTP date and
	// to time requests. Default time.Now.
	Now func() time.Time
}

// Budget admits requests against the account's per-minute allowance.
// Implementations must be safe for concurrent use.
type Budget interface {
	// Wait blocks until a request may be sent, or returns an error (typically
	// a *domain.Error upstream-budget-exhausted with RetryAfter) when it may
	// not. The client sends nothing when Wait fails.
	Wait(ctx context.Context) error
	// Pause tells the budget that the upstream answered 429 and asked for d
	// of quiet; every request of the account should wait that long.
	Pause(ctx context.Context, d time.Duration)
}

// Client talks to one Phonewagon account. It is safe for concurrent use.
type Client struct {
	http     *http.Client
	base     *url.URL // scheme and host of BaseURL, path without trailing slash
	timeout  time.Duration
	budget   Budget
	observe  func(endpoint string, status int, d time.Duration)
	now      func() time.Time
	basePath string // escaped path of BaseURL without trailing slash
}

// Response is the upstream's answer to one request. Its Body has already
// been read and closed. Methods return a nil *Response when no answer
// arrived: the request was refused before sending (budget, validation) or
// failed in transport.
type Response struct {
	*http.Response
	// RetryAfter is how long the upstream asked to wait (429 or 503), or
	// zero.
	RetryAfter time.Duration
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := upstreamhttp.ParseBaseURL(cfg.BaseURL, "client_id and client_secret")
	if err != nil {
		return nil, fmt.Errorf("phonewagon: config: base_url: %w", err)
	}
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("phonewagon: config: client_id: is required")
	case strings.ContainsAny(cfg.ClientID, ":\r\n"):
		return nil, errors.New("phonewagon: config: client_id: must not contain ':' or line breaks")
	case cfg.ClientSecret.Reveal() == "":
		return nil, errors.New("phonewagon: config: client_secret: is required")
	case cfg.Timeout < 0:
		return nil, errors.New("phonewagon: config: timeout: must not be negative")
	}

	c := &Client{
		base:     base,
		basePath: strings.TrimSuffix(base.EscapedPath(), "/"),
		timeout:  cfg.Timeout,
		budget:   cfg.Budget,
		observe:  cfg.Observe,
		now:      cfg.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	transport := cfg.Transport
	if transport == nil {
		transport = upstreamhttp.NewTransport()
	}
	c.http = &http.Client{
		Transport: &basicAuthTransport{
			username: cfg.ClientID,
			password: cfg.ClientSecret,
			origin:   originOf(base),
			base:     transport,
		},
		// Redirects are never followed: a 3xx is an unexpected answer
		// (upstream-error), so credentials cannot be led to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// endpointURL returns the URL of path (e.g. "/calls") below the base URL
// with query q.
func (c *Client) endpointURL(path string, q url.Values) *url.URL {
	u := &url.URL{
		Scheme:   c.base.Scheme,
		Host:     c.base.Host,
		Path:     c.base.Path + path,
		RawQuery: q.Encode(),
	}
	if c.base.RawPath != "" {
		u.RawPath = c.base.RawPath + path
	}
	return u
}
