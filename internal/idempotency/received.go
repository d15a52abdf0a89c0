package idempotency

import (
	"errors"

	"switchboard/internal/breaker"
	"switchboard/internal/domain"
)

// NeverReceived is the one rule that decides what becomes of a claimed key
// when the upstream call failed (SPEC §5). It reports whether err proves
// that the upstream never received the request:
//
//   - the connection was refused, the name did not resolve or dialing
//     failed (the upstream clients mark these with domain.ErrNotSent);
//   - the circuit breaker refused the call (breaker.ErrOpen);
//   - the budget refused it (upstream-budget-exhausted).
//
// Only then is the claim released, so that a retry may send the request.
// Every other failure, once the upstream may have received the request (a
// 5xx, a timeout or a reset after sending, a refusal of the body), is the
// outcome the key replays: sending again could act twice. The caller's own
// invalid input never reaches a claim: it is refused before one is taken.
func NeverReceived(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, domain.ErrNotSent) ||
		errors.Is(err, breaker.ErrOpen) ||
		domain.ErrorCode(err) == domain.CodeUpstreamBudget
}
