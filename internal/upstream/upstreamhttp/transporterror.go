package upstreamhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	"switchboard/internal/domain"
)

// TransportError maps an error from http.Client.Do, or from reading a
// response body, to what the caller should see. ctx is the caller's own
// context, before any per-request timeout was added to it.
//
//   - The caller's context was canceled: ctx.Err() is returned (wrapped), not
//     an upstream error: nobody is waiting for the answer.
//   - A deadline passed (the caller's or the per-request timeout) or the
//     network timed out: upstream-timeout.
//   - The connection could not be made (refused, DNS failure, dial error):
//     upstream-unavailable with DefaultUnavailableRetry. The request provably
//     never reached the upstream; see IsNotSent.
//   - Anything else (reset, TLS failure, truncated answer): upstream-error.
//
// upstream is a display name such as "Phonewagon" for the caller-safe
// message; err stays the log-only cause.
func TransportError(ctx context.Context, upstream string, err error) error {
	err = sanitizeURLError(err)
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(ctxErr, context.Canceled) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return domain.Wrap(err, domain.CodeUpstreamTimeout, upstream+" did not answer in time")
	}
	if IsNotSent(err) {
		e := domain.Wrap(err, domain.CodeUpstreamUnavailable, upstream+" cannot be reached")
		e.RetryAfter = DefaultUnavailableRetry
		return e
	}
	return domain.Wrap(err, domain.CodeUpstreamError, "the connection to "+upstream+" failed")
}

// IsNotSent reports whether err shows that the request never left this
// process: the connection was refused, the name did not resolve, or dialing
// failed. Only then is retrying a non-idempotent request safe.
func IsNotSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// sanitizeURLError strips credentials from the URL that http.Client.Do puts
// in its *url.Error, so the cause is safe to log.
func sanitizeURLError(err error) error {
	uerr, ok := err.(*url.Error)
	if !ok {
		return err
	}
	u, perr := url.Parse(uerr.URL)
	if perr != nil {
		return &url.Error{Op: uerr.Op, URL: "(unparseable URL)", Err: uerr.Err}
	}
	return &url.Error{Op: uerr.Op, URL: SanitizeURL(u), Err: uerr.Err}
}
