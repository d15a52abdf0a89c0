package phonewagon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// Body caps. A calls page holds at most 1000 records of about 1.5 KiB each;
// 32 MiB leaves room for long URLs without letting a broken upstream exhaust
// memory. Everything else is small.
const (
	callsBodyLimit = 32 << 20
	smallBodyLimit = 1 << 20
)

// drainLimit is how much of an unread body is discarded before closing it,
// so that the connection can be reused; beyond that it is cheaper to close.
const drainLimit = 64 << 10

// pauseTimeout bounds Budget.Pause after a 429.
const pauseTimeout = 2 * time.Second

// get admits one request with the budget, sends GET u, checks the status and
// returns the body, read whole up to limit bytes. endpoint labels Observe.
// The returned *Response is nil when no answer arrived.
func (c *Client) get(ctx context.Context, endpoint string, u *url.URL, limit int64) ([]byte, *Response, error) {
	if c.budget != nil {
		if err := c.budget.Wait(ctx); err != nil {
			return nil, nil, err
		}
	}

	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, domain.Wrap(err, domain.CodeInternal, "the upstream request could not be built")
	}
	req.Header.Set("Accept", "application/json")
	req.Body = unreplayable{}

	start := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.record(endpoint, 0, start)
		return nil, nil, upstreamhttp.TransportError(ctx, displayName, err)
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		_ = resp.Body.Close()
	}()
	response := &Response{Response: resp}

	if err := upstreamhttp.CheckResponse(resp, displayName, c.now()); err != nil {
		c.record(endpoint, resp.StatusCode, start)
		if de, ok := errors.AsType[*domain.Error](err); ok {
			response.RetryAfter = de.RetryAfter
			if de.Code == domain.CodeUpstreamRateLimited {
				c.pause(ctx, de.RetryAfter)
			}
		}
		return nil, response, err
	}

	body, err := upstreamhttp.ReadCapped(resp.Body, limit)
	c.record(endpoint, resp.StatusCode, start)
	switch {
	case errors.Is(err, upstreamhttp.ErrBodyTooLarge):
		return nil, response, domain.Wrap(fmt.Errorf("%s: %w", upstreamhttp.SanitizeURL(u), err),
			domain.CodeUpstreamError, displayName+" returned an answer that is too large")
	case err != nil:
		if reqCtx.Err() != nil {
			// The per-request deadline fired while the body was streaming.
			err = errors.Join(err, reqCtx.Err())
		}
		return nil, response, upstreamhttp.TransportError(ctx, displayName, err)
	}
	return body, response, nil
}

// pause tells the budget about a 429. It runs detached from the caller's
// cancellation: the pause protects the whole account, and must not be lost
// because this one caller hung up.
func (c *Client) pause(ctx context.Context, d time.Duration) {
	if c.budget == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pauseTimeout)
	defer cancel()
	c.budget.Pause(ctx, d)
}

// record reports one network request to the Observe hook.
func (c *Client) record(endpoint string, status int, start time.Time) {
	if c.observe != nil {
		c.observe(endpoint, status, c.now().Sub(start))
	}
}

// unreplayable is the empty body of every Phonewagon GET. net/http re-sends
// a request with no body (or a rewindable one) by itself when a reused
// keep-alive connection dies before the answer, trying further pooled
// connections: one budget slot could become several upstream requests, and
// the account's limit would be exceeded behind the budget's back. A non-nil
// body without GetBody makes the request non-replayable (see
// http.Request.isReplayable), while the transport still sends no body: it
// probes an empty body of a GET and drops it. So connections stay pooled
// and each budget slot is exactly one request on the wire.
type unreplayable struct{}

func (unreplayable) Read([]byte) (int, error) { return 0, io.EOF }
func (unreplayable) Close() error             { return nil }
