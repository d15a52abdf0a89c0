package callwidget

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// maxReplayBody caps a request body that has no GetBody and must be held
// in memory to be sent a second time. The gateway's own bodies are at most
// 64 KiB.
const maxReplayBody = 1 << 20

// errForeignOrigin is returned for a request to another origin than the
// configured one. It names no URL.
var errForeignOrigin = errors.New("callwidget: refusing to send a token to another origin")

// authTransport sets "Authorization: Bearer <access token>" on each request,
// like x/oauth2's Transport, and handles a revoked token: on a 401 it
// renews the token (single-flighted with every other request of the
// account) and sends the request once more. A second 401 is returned as
// the answer. A 401 proves the upstream did not act, so the one retry is
// safe for POSTs too; the body is replayed from GetBody, or from a copy
// taken before the first attempt.
//
// A request it could not send for want of a token fails with an error
// carrying domain.ErrNotSent: nothing reached the upstream, or only an
// attempt it refused with 401.
//
// Only requests to the configured origin are sent; any other is refused so
// that a token can never leave for another host.
//
// It is safe for concurrent use if base is.
type authTransport struct {
	tokens *tokenSource
	origin string
	base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It leaves req untouched and
// sends clones; like every RoundTripper it closes req.Body, even on error.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if originOf(req.URL) != t.origin {
		closeRequestBody(req)
		return nil, errForeignOrigin
	}
	ctx := req.Context()
	tok, err := t.tokens.Token(ctx)
	if err != nil {
		closeRequestBody(req)
		return nil, errors.Join(err, domain.ErrNotSent)
	}
	first, again, err := replayable(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(withToken(first, tok.Reveal()))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	closeBody(resp)

	// The upstream answered 401: it did not act. Until the request is sent
	// again, nothing has been done.
	fresh, err := t.tokens.Renew(ctx, tok)
	if err != nil {
		return nil, errors.Join(err, domain.ErrNotSent)
	}
	second, err := again()
	if err != nil {
		return nil, err
	}
	return t.base.RoundTrip(withToken(second, fresh.Reveal()))
}

// replayable returns a clone of req to send first, and a function that
// returns another clone with the body again, for the retry. Without
// GetBody, req.Body is read into memory (and closed) first.
func replayable(req *http.Request) (first *http.Request, again func() (*http.Request, error), err error) {
	clone := func(body io.ReadCloser) *http.Request {
		r := req.Clone(req.Context())
		r.Body = body
		return r
	}
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return clone(req.Body), func() (*http.Request, error) { return clone(req.Body), nil }, nil
	case req.GetBody != nil:
		return clone(req.Body), func() (*http.Request, error) {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("callwidget: replay request body: %w", err)
			}
			return clone(body), nil
		}, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxReplayBody+1))
	closeRequestBody(req)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("callwidget: read request body: %w", err)
	case len(b) > maxReplayBody:
		return nil, nil, errors.New("callwidget: request body too large to replay")
	}
	fromCopy := func() *http.Request { return clone(io.NopCloser(bytes.NewReader(b))) }
	return fromCopy(), func() (*http.Request, error) { return fromCopy(), nil }, nil
}

// withToken sets the bearer token on r, a clone owned by the caller.
func withToken(r *http.Request, access string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+access)
	return r
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// observeTransport reports every request that goes out, tokens included, to
// the Observe hook: the endpoint (the path below the base URL, e.g.
// "share/installs" or "api-login"), the status (0 when no answer came) and
// the time until the answer's headers. It sits below authTransport so that
// a retried request counts twice, as it cost the upstream twice.
type observeTransport struct {
	base     http.RoundTripper
	basePath string // escaped path of the base URL, without trailing slash
	observe  func(endpoint string, status int, d time.Duration)
	now      func() time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	resp, err := t.base.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.observe(t.endpoint(req.URL), status, t.now().Sub(start))
	return resp, err
}

// endpoint names the request for metrics: its path below the base URL,
// which has no ids in it for any CallWidget endpoint, so the label set
// stays bounded.
func (t *observeTransport) endpoint(u *url.URL) string {
	p := strings.TrimPrefix(u.EscapedPath(), t.basePath)
	return strings.TrimPrefix(p, "/")
}

// originOf returns scheme://host:port of u, lower-cased and with the
// scheme's default port made explicit, so that equal origins compare equal.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
