package mirror

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/domain"
)

// The backfill (SPEC §7): once per account, it walks the history from the
// moment it starts back to that moment − retention, PageSize calls a page,
// and saves the query of the next page in State.Backfill after each one, so
// that a backfill interrupted (budget, upstream failure, a lost lease, a
// restart) resumes at the page it stopped at, on whichever replica holds the
// lease next. It reports no changes: the calls it writes are history, not
// news.
//
// The follow takes over above the backfill: starting the backfill sets the
// watermark (State.Newest) to its first page's end, so the first follow
// reads everything from there − overlap on.

// beginBackfill records the backfill's first query and the follow's
// watermark, unless the backfill has started already. It makes no request.
func (h *holder) beginBackfill(ctx context.Context) error {
	if h.state.BackfillDone || h.state.Backfill != nil {
		return nil
	}
	now := h.clock.Now().UTC()
	q := domain.CallsQuery{Start: now.Add(-h.cfg.Retention), End: now, PageSize: h.cfg.PageSize}
	h.state.Backfill = &q
	if h.state.Newest.IsZero() {
		h.state.Newest = now
	}
	return h.saveState(ctx)
}

// backfillStep walks one page of the backfill and checkpoints it; after the
// last one it asks once whether the history goes further back than the
// retention, to set CoveredFrom.
func (h *holder) backfillStep(ctx context.Context) error {
	q := *h.state.Backfill
	w := pageWalk{next: q}
	done, err := w.step(ctx, h.cfg.Upstream, func(calls []domain.Call) error {
		_, err := h.cfg.Store.Upsert(ctx, h.cfg.Account, h.fence, calls)
		return err
	})
	h.observe(KindBackfill, err)
	if err != nil {
		return err
	}
	if !done {
		h.state.Backfill = &w.next
		return h.saveState(ctx)
	}
	covered, err := h.coveredFrom(ctx, q.Start)
	h.observe(KindBackfill, err)
	if err != nil {
		// The checkpoint still names the last page: the next step reads it
		// again (upserts are idempotent) and asks again.
		return err
	}
	h.state.CoveredFrom = covered
	h.state.Backfill = nil
	h.state.BackfillDone = true
	if err := h.saveState(ctx); err != nil {
		return err
	}
	return h.trim(ctx)
}

// coveredFrom is where the completed backfill's coverage starts: the
// beginning of history (the Unix epoch) when no call started before from,
// else from. One request of one call tells.
func (h *holder) coveredFrom(ctx context.Context, from time.Time) (time.Time, error) {
	older, err := h.cfg.Upstream.Calls(ctx, domain.CallsQuery{End: from.Add(-time.Millisecond), PageSize: 1})
	if err != nil {
		return time.Time{}, fmt.Errorf("mirror: backfill: is there history before the retention: %w", err)
	}
	if len(older.Calls) == 0 {
		return time.Unix(0, 0).UTC(), nil
	}
	return from, nil
}
