package callwidget

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// displayName names the upstream in caller-safe error messages.
const displayName = "CallWidget"

// Defaults for zero Config fields.
const (
	// DefaultTimeout bounds one whole upstream request.
	DefaultTimeout = 15 * time.Second
	// DefaultExpiryDelta is how early a token counts as expired.
	DefaultExpiryDelta = 60 * time.Second
)

// Config configures a Client. Zero fields mean the documented defaults.
type Config struct {
	// BaseURL is the API root, e.g. https://api.callwidget.co/api/v1; the
	// endpoints /api-login, /refresh-token and /share/... live below its
	// path. Required; http or https, no user info, query or fragment.
	BaseURL string
	// Email and Password are the account's login. Both required.
	Email    string
	Password domain.Secret
	// Transport sends the requests. Default: a new bounded transport from
	// upstreamhttp.NewTransport; pass one shared transport to every client
	// of the process so that they share a connection pool.
	Transport http.RoundTripper
	// Timeout bounds each upstream request (login and refresh included).
	// Default DefaultTimeout; negative is invalid.
	Timeout time.Duration
	// Tokens is where the account's token is shared with other clients and
	// replicas. Nil keeps it in this Client only, which is right for a
	// single replica.
	Tokens TokenStore
	// TokenKey is the account's key in Tokens, unique per CallWidget account
	// (the tenant id, say). Required when Tokens is set.
	TokenKey string
	// Now is the clock for token expiry, Retry-After dates and timings.
	// Default time.Now.
	Now func() time.Time
	// ExpiryDelta makes a token count as expired this much before its
	// expiry, so that it does not lapse on its way. Default
	// DefaultExpiryDelta; negative is invalid.
	ExpiryDelta time.Duration
	// Observe, when set, is called once per request sent upstream (a retry
	// and a login each count) with the endpoint ("share/installs",
	// "api-login", ...), the HTTP status (0 when no answer arrived) and the
	// time until the answer's headers. It must be safe for concurrent use
	// and must not block.
	Observe func(endpoint string, status int, d time.Duration)
	// OnLogin and OnRefresh, when set, are called each time a login or a
	// token refresh is sent upstream, whatever its outcome. They must be
	// safe for concurrent use and must not block.
	OnLogin, OnRefresh func()
	// Logger receives what must not reach callers: token store failures,
	// a refused refresh token. Default: discard.
	Logger *slog.Logger
}

// Client talks to one CallWidget account. It is safe for concurrent use.
type Client struct {
	http    *http.Client // with the auth transport
	base    *url.URL     // BaseURL, path without trailing slash
	timeout time.Duration
	now     func() time.Time
}

// Response is the upstream's answer to one request. Its Body has already
// been read and closed.
type Response struct {
	*http.Response
}

// New validates cfg and returns a Client. It sends nothing: the first
// request logs in.
func New(cfg Config) (*Client, error) {
	base, err := upstreamhttp.ParseBaseURL(cfg.BaseURL, "email and password")
	if err != nil {
		return nil, fmt.Errorf("callwidget: config: base_url: %w", err)
	}
	switch {
	case strings.TrimSpace(cfg.Email) == "":
		return nil, errors.New("callwidget: config: email: is required")
	case cfg.Password.Reveal() == "":
		return nil, errors.New("callwidget: config: password: is required")
	case cfg.Timeout < 0:
		return nil, errors.New("callwidget: config: timeout: must not be negative")
	case cfg.ExpiryDelta < 0:
		return nil, errors.New("callwidget: config: expiry_delta: must not be negative")
	case cfg.Tokens != nil && cfg.TokenKey == "":
		return nil, errors.New("callwidget: config: token_key: is required with a token store")
	}
	cfg = withDefaults(cfg)

	transport := cfg.Transport
	if cfg.Observe != nil {
		transport = &observeTransport{
			base:     transport,
			basePath: strings.TrimSuffix(base.EscapedPath(), "/"),
			observe:  cfg.Observe,
			now:      cfg.Now,
		}
	}
	auth := &authenticator{
		http:       &http.Client{Transport: transport, CheckRedirect: noRedirects},
		loginURL:   endpointURL(base, "/api-login"),
		refreshURL: endpointURL(base, "/refresh-token"),
		email:      cfg.Email,
		password:   cfg.Password,
		timeout:    cfg.Timeout,
		now:        cfg.Now,
		onLogin:    cfg.OnLogin,
		onRefresh:  cfg.OnRefresh,
	}
	tokens := &tokenSource{
		auth:    auth,
		store:   cfg.Tokens,
		key:     cfg.TokenKey,
		now:     cfg.Now,
		delta:   cfg.ExpiryDelta,
		timeout: cfg.Timeout,
		log:     cfg.Logger,
	}
	return &Client{
		http: &http.Client{
			Transport:     &authTransport{tokens: tokens, origin: originOf(base), base: transport},
			CheckRedirect: noRedirects,
		},
		base:    base,
		timeout: cfg.Timeout,
		now:     cfg.Now,
	}, nil
}

// withDefaults fills the zero fields of a validated cfg.
func withDefaults(cfg Config) Config {
	if cfg.Transport == nil {
		cfg.Transport = upstreamhttp.NewTransport()
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ExpiryDelta == 0 {
		cfg.ExpiryDelta = DefaultExpiryDelta
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// noRedirects makes a client return a 3xx as the answer instead of
// following it: a 3xx is an unexpected answer (upstream-error), and a
// token or a password is never led to another URL.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// endpointURL returns the URL of path (e.g. "/share/installs") below base.
func endpointURL(base *url.URL, path string) string {
	u := *base
	u.Path = base.Path + path
	if base.RawPath != "" {
		u.RawPath = base.RawPath + path
	}
	return u.String()
}
