package mirror

import (
	"context"
	"errors"
	"time"

	"switchboard/internal/domain"
)

// CallLister answers one exact page of an account's call history:
// phonewagon.Service (and *phonewagon.Client's Calls without its response)
// satisfy it. A page's Next is the exact query of the page after it (no call
// lost or repeated when a page boundary cuts calls sharing a start time),
// nil on the last page.
type CallLister interface {
	Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, error)
}

// PageSize is the number of calls each sync request asks for: the most the
// upstream serves in one page (SPEC §7).
const PageSize = 1000

// pageWalk is one walk of the history in progress: the query of its next page
// and what it has seen so far. It lives in the syncer's memory between the
// pages, so that a walk interrupted by a budget refusal or an upstream
// failure resumes at the page that failed rather than from the top.
type pageWalk struct {
	next    domain.CallsQuery
	started time.Time // by the syncer's clock, when the first page was asked for
	newest  time.Time // the newest start time seen, zero before any
}

// step asks for w's next page and hands its calls to apply. It returns
// done when that was the last page. When the request or apply fails, w is
// left at the same page, so the next step asks for it again: apply must be
// idempotent (an upsert by id is).
func (w *pageWalk) step(ctx context.Context, up CallLister, apply func([]domain.Call) error) (done bool, err error) {
	page, err := up.Calls(ctx, w.next)
	if err != nil {
		return false, err
	}
	if err := apply(page.Calls); err != nil {
		return false, err
	}
	for _, c := range page.Calls {
		if c.StartedAt != nil && c.StartedAt.After(w.newest) {
			w.newest = *c.StartedAt
		}
	}
	if page.Next == nil {
		return true, nil
	}
	w.next = *page.Next
	return false, nil
}

// retryAfter returns how long the upstream or the budget asked the sync to
// wait before its next request, and whether err is such a refusal: the
// budget's background lane is full (upstream-budget-exhausted), the
// upstream answered 429, or a breaker refused with a Retry-After.
func retryAfter(err error) (time.Duration, bool) {
	var de *domain.Error
	if !errors.As(err, &de) || de.RetryAfter <= 0 {
		return 0, false
	}
	return de.RetryAfter, true
}

// budgetRefusal reports whether err is only the budget's background lane
// being full: expected, and not a failure of the sync.
func budgetRefusal(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Code == domain.CodeUpstreamBudget
}

// errorKind names err for State.LastError: the problem slug of a
// *domain.Error, "internal" otherwise. It never carries a message, which
// could hold upstream text.
func errorKind(err error) string {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != "" {
		return string(de.Code)
	}
	return string(domain.CodeInternal)
}
