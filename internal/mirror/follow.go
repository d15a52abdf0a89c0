package mirror

import (
	"context"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
)

// DefaultOverlap is how far below the watermark (the newest start time
// held) each follow starts reading. The upstream may list a call after
// calls that started later (it indexes some late, as the sandbox's live
// account does): a follow that started exactly at the watermark would miss
// it for good. Ten minutes covers a call indexed up to ten minutes late at
// the cost of re-reading those minutes' calls (unchanged ones report
// nothing); a call later still is caught by the revisit, within the
// revisit window.
const DefaultOverlap = 10 * time.Minute

// followStep runs one page of the follow (SPEC §7): every sync_interval,
// the calls started at or after the watermark − overlap, newest first,
// upserted with their changes reported. The watermark (State.Newest) and
// SyncedAt move only when the walk completes, so an interrupted follow
// loses nothing: it resumes at the page that failed, or, on a new lease
// holder, starts again from the unchanged watermark.
//
// A follow serves the follow requests (Cache-Control: no-cache) made before
// it started: once it completes, they are marked followed. A follow that
// serves one runs in the caller lane: someone is waiting for it.
func (h *holder) followStep(ctx context.Context) error {
	if h.follow == nil {
		seq, err := h.cfg.Follows.Requested(ctx, h.cfg.Account)
		if err != nil {
			return err
		}
		now := h.clock.Now().UTC()
		h.follow = &pageWalk{
			next:    domain.CallsQuery{Start: h.state.Newest.Add(-h.cfg.Overlap), PageSize: h.cfg.PageSize},
			started: now,
		}
		h.followSeq = seq
		h.followForCaller = seq > h.followed
	}
	pageCtx := ctx
	if h.followForCaller {
		// A caller waits for this follow (Cache-Control: no-cache): its
		// requests are the caller's, in the caller lane (DESIGN: "a calls
		// read"), so that a background lane the backfill filled does not
		// hold the caller up.
		pageCtx = ratelimit.WithLane(ctx, ratelimit.Caller)
	}
	done, err := h.follow.step(pageCtx, h.cfg.Upstream, func(calls []domain.Call) error {
		return h.upsert(ctx, calls)
	})
	h.observe(KindFollow, err)
	if err != nil || !done {
		return err
	}
	w := h.follow
	if w.newest.After(h.state.Newest) {
		h.state.Newest = w.newest
	}
	h.state.SyncedAt = w.started
	if err := h.saveState(ctx); err != nil {
		return err
	}
	if h.followSeq > 0 {
		if err := h.cfg.Follows.MarkFollowed(ctx, h.cfg.Account, h.fence, h.followSeq); err != nil {
			return err
		}
	}
	h.followed = max(h.followed, h.followSeq)
	h.follow = nil
	h.nextFollow = w.started.Add(h.cfg.SyncInterval)
	return nil
}
