package breaker

import (
	"context"
	"errors"

	"switchboard/internal/domain"
)

// outcome is what one call says about the upstream's health.
type outcome int

const (
	// answered: the upstream gave an answer, so it is up. Resets the
	// consecutive-failure count; a probe that answered closes the breaker.
	answered outcome = iota
	// failed: the upstream is down or broken. Counts towards opening; a
	// probe that failed reopens the breaker for a longer interval.
	failed
	// inconclusive: the call says nothing about the upstream (no request was
	// made, or nobody waited for the answer). Leaves the count alone; a probe
	// that was inconclusive hands the probe to the next caller.
	inconclusive
)

// classify sorts the error of one upstream call:
//
//   - nil: answered.
//   - context.Canceled anywhere in the chain: inconclusive. The caller hung
//     up; whatever the upstream would have done is unknown.
//   - ErrOpen: inconclusive. A breaker (possibly another one) refused the
//     call without making a request.
//   - upstream-error (5xx other than 503, an unreadable or unexpected answer,
//     a reset or truncated connection), upstream-timeout and
//     upstream-unavailable (503, refused connection, DNS failure): failed.
//     These are what the breaker exists for. Note that the clients map an
//     upstream 404 to upstream-error too (upstreamhttp.CheckResponse), so a
//     burst of requests for ids the upstream does not know counts here.
//   - upstream-rate-limited (429): answered. SPEC §5: a 429 counts against
//     the budget, which the client pauses, not as a breaker failure. The
//     upstream did answer, so it also proves the upstream is up.
//   - upstream-auth-failed (401/403, a refused login): answered. The
//     upstream is up and rejects our credentials; opening the breaker would
//     hide that configuration error behind a generic 503 and a retry hint
//     that cannot help.
//   - anything else (upstream-budget-exhausted: our own budget refused, no
//     request was made; validation, not-found and the other caller-side
//     codes, which a client may raise before sending anything; internal,
//     which is our bug or an error the clients did not classify, such as a
//     caller deadline that passed while waiting for a budget slot):
//     inconclusive.
func classify(err error) outcome {
	if err == nil {
		return answered
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrOpen) {
		return inconclusive
	}
	switch domain.ErrorCode(err) {
	case domain.CodeUpstreamError, domain.CodeUpstreamTimeout, domain.CodeUpstreamUnavailable:
		return failed
	case domain.CodeUpstreamRateLimited, domain.CodeUpstreamAuthFailed:
		return answered
	}
	return inconclusive
}

// classifyCall is classify for a call made with ctx: once the caller's own
// context is canceled, a failure may be the consequence of the hang-up (a
// connection torn down mid-answer) rather than of the upstream, so it is
// inconclusive. A success is still a success.
func classifyCall(ctx context.Context, err error) outcome {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return inconclusive
	}
	return classify(err)
}
