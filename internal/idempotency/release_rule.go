package idempotency

import (
	"errors"

	"switchboard/internal/breaker"
	"switchboard/internal/domain"
)

// Releases is the one rule that decides what becomes of a claimed key when
// the upstream call failed (SPEC §5). It reports whether err proves that the
// upstream never received the request, or refused it as the caller's
// invalid input, so that nothing was done:
//
//   - the connection was refused, the name did not resolve or dialing
//     failed (the upstream clients mark these with domain.ErrNotSent);
//   - the circuit breaker refused the call (breaker.ErrOpen);
//   - the budget refused it (upstream-budget-exhausted);
//   - the upstream refused the caller's input, naming fields (validation).
//
// Only then is the claim released, so that a retry may send the request.
// Every other failure, once the upstream may have received the request (a
// 5xx, a 429, a timeout or a reset after sending), is the outcome the key
// replays: sending again could act twice.
func Releases(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, domain.ErrNotSent) || errors.Is(err, breaker.ErrOpen) {
		return true
	}
	switch domain.ErrorCode(err) {
	case domain.CodeUpstreamBudget, domain.CodeValidation:
		return true
	}
	return false
}
