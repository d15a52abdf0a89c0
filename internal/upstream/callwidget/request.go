package callwidget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// smallBodyLimit caps every answer this client reads: lookups and tokens
// are small, and a broken upstream must not exhaust memory.
const smallBodyLimit = 1 << 20

// drainLimit is how much of an unread body is discarded before closing it,
// so that the connection can be reused; beyond that, closing is cheaper.
const drainLimit = 64 << 10

// get sends GET path (below the base URL, e.g. "/share/tags") with the
// account's token and returns the body of a 2xx answer. The returned
// *Response is nil when no answer arrived.
func (c *Client) get(ctx context.Context, path string) ([]byte, *Response, error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, endpointURL(c.base, path), nil)
	if err != nil {
		return nil, nil, domain.Wrap(err, domain.CodeInternal, "the upstream request could not be built")
	}
	setJSONHeaders(req.Header, false)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, requestError(ctx, err)
	}
	defer closeBody(resp)
	response := &Response{Response: resp}

	if err := checkResponse(resp, c.now()); err != nil {
		return nil, response, err
	}
	body, err := upstreamhttp.ReadCapped(resp.Body, smallBodyLimit)
	if err != nil {
		return nil, response, bodyError(ctx, reqCtx, err)
	}
	return body, response, nil
}

// requestError maps an error of http.Client.Do. The caller's cancellation
// wins; then a *domain.Error from the auth transport (a refused login) is
// kept as is; anything else is a transport failure.
func requestError(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return de
		}
	}
	return upstreamhttp.TransportError(ctx, displayName, err)
}

// setJSONHeaders sets the headers every example of the vendor docs sends.
func setJSONHeaders(h http.Header, hasBody bool) {
	h.Set("Accept", "application/json")
	if hasBody {
		h.Set("Content-Type", "application/json")
	}
}

// checkResponse maps a non-2xx answer to a *domain.Error (see
// upstreamhttp.CheckResponse): 401 and 403 upstream-auth-failed, 429
// upstream-rate-limited and 503 upstream-unavailable with RetryAfter, the
// rest upstream-error. The 401 seen here is the one after authTransport's
// single retry.
func checkResponse(resp *http.Response, now time.Time) error {
	return upstreamhttp.CheckResponse(resp, displayName, now)
}

// bodyError maps a failure to read a 2xx body. reqCtx is the per-request
// context, whose deadline may have fired mid-body.
func bodyError(ctx, reqCtx context.Context, err error) error {
	if errors.Is(err, upstreamhttp.ErrBodyTooLarge) {
		return domain.Wrap(err, domain.CodeUpstreamError, displayName+" returned an answer that is too large")
	}
	if reqCtx.Err() != nil {
		err = errors.Join(err, reqCtx.Err())
	}
	return upstreamhttp.TransportError(ctx, displayName, fmt.Errorf("read body: %w", err))
}

// closeBody drains a little of what is left of resp's body, so that the
// connection can be reused, and closes it.
func closeBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	_ = resp.Body.Close()
}
