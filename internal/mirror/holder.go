package mirror

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// holder is the sync work of one lease grant: it runs while the syncer
// holds the account's lease with fence, and every write it makes carries
// fence, so that once another replica took over, the store refuses them
// (ErrFenced) and the holder stops.
//
// It runs in one goroutine: the backfill first, page after page, until it
// is done (the mirror serves nothing before, so follows and revisits could
// only slow it down); then a follow every SyncInterval or when a caller
// asks for one, and a revisit every RevisitInterval, a follow page always
// before a revisit page. Each page is one budgeted request in the
// background lane.
type holder struct {
	cfg   *SyncerConfig
	clock Clock
	fence int64
	state State // the account's state; only this holder writes it

	follow    *pageWalk // the follow in progress, nil between follows
	followSeq int64     // the follow requests the follow in progress serves
	followed  int64     // the newest follow request served
	// followForCaller: the follow in progress serves a caller's request.
	followForCaller bool
	nextFollow      time.Time
	revisit         *pageWalk
	nextRevisit     time.Time
	notBefore       time.Time // no request before this (a refusal's Retry-After)
	// drain: changes may be pending announcement (left by an earlier
	// holder, or by a failed announcement): announcePending runs before
	// any other work.
	drain bool
}

// run works until ctx ends or the lease is lost.
func (h *holder) run(ctx context.Context) error {
	st, err := h.cfg.Store.State(ctx, h.cfg.Account)
	if err != nil {
		return err
	}
	h.state = st
	if h.followed, err = h.cfg.Follows.Followed(ctx, h.cfg.Account); err != nil {
		return err
	}
	h.drain = h.cfg.OnChange != nil
	if err := h.beginBackfill(ctx); err != nil {
		return err
	}
	for {
		if err := h.wait(ctx); err != nil {
			return err
		}
		work, err := h.due(ctx)
		if err != nil {
			return err
		}
		if work == nil {
			continue
		}
		if err := h.handle(ctx, work(ctx)); err != nil {
			return err
		}
	}
}

// due picks the next page of work, or nil when nothing is due yet.
func (h *holder) due(ctx context.Context) (func(context.Context) error, error) {
	if h.drain {
		return h.announcePending, nil
	}
	if !h.state.BackfillDone {
		return h.backfillStep, nil
	}
	now := h.clock.Now()
	if h.follow != nil || !now.Before(h.nextFollow) {
		return h.followStep, nil
	}
	requested, err := h.cfg.Follows.Requested(ctx, h.cfg.Account)
	if err != nil {
		return nil, err
	}
	if requested > h.followed {
		return h.followStep, nil
	}
	if h.revisit != nil || !now.Before(h.nextRevisit) {
		return h.revisitStep, nil
	}
	return nil, nil
}

// wait sleeps until notBefore, or for one PollEvery when nothing is due
// before it (so that follow requests are noticed), whichever is first.
func (h *holder) wait(ctx context.Context) error {
	now := h.clock.Now()
	until := h.notBefore
	if h.state.BackfillDone && h.follow == nil && h.revisit == nil {
		next := minTime(minTime(h.nextFollow, h.nextRevisit), now.Add(h.cfg.PollEvery))
		until = maxTime(until, next)
	}
	if d := until.Sub(now); d > 0 {
		return h.clock.Sleep(ctx, d)
	}
	return ctx.Err()
}

// handle decides what a page's error means: nil and ctx's end pass
// through; a lost lease ends the holder; the budget's background lane
// being full only delays the next request; any other failure is recorded
// in State.LastError (for GET /v1/sync) and retried later, at the same page.
// A success clears LastError.
func (h *holder) handle(ctx context.Context, err error) error {
	switch {
	case err == nil:
		if h.state.LastError == "" {
			return nil
		}
		h.state.LastError, h.state.LastErrorAt = "", time.Time{}
		return h.saveState(ctx)
	case errors.Is(err, ErrFenced), ctx.Err() != nil:
		return err
	}
	now := h.clock.Now()
	delay, ok := retryAfter(err)
	if !ok {
		delay = h.cfg.RetryEvery
	}
	h.notBefore = now.Add(delay)
	if budgetRefusal(err) {
		return nil
	}
	h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "mirror sync failed",
		slog.String("account", h.cfg.Account), slog.String("error", err.Error()), slog.Duration("retry_in", delay))
	h.state.LastError, h.state.LastErrorAt = errorKind(err), now.UTC()
	return h.saveState(ctx)
}

// saveState writes h.state, fenced.
func (h *holder) saveState(ctx context.Context) error {
	return h.cfg.Store.SaveState(ctx, h.cfg.Account, h.fence, h.state)
}

// observe tells OnRequest the outcome of one sync request.
func (h *holder) observe(kind string, err error) {
	if h.cfg.OnRequest == nil {
		return
	}
	outcome := OutcomeOK
	switch {
	case budgetRefusal(err):
		outcome = OutcomeRefused
	case err != nil:
		outcome = OutcomeError
	}
	h.cfg.OnRequest(kind, outcome)
}

// minTime returns the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// maxTime returns the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
