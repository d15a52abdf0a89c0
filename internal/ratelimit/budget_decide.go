package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"

	"switchboard/internal/storehealth"
)

// settleRetry is the longest a request refused while the shared window is
// being re-seeded is told to wait: one heartbeat, by which the other replicas
// have re-seeded.
const settleRetry = DefaultHeartbeatInterval

// decide admits one request (take) or reports the budget (a peek): on the
// shared store when its health allows and its window can be trusted, else on
// this replica's ledger with its share of the limit.
//
// lane picks the limit the admission is decided against (LaneLimit); a peek
// is always the caller's view. Every decision is reported to OnRemaining as
// the caller's view too: what a caller's live request would find.
func (b *Budget) decide(ctx context.Context, take bool, lane Lane) (Decision, error) {
	if LaneLimit(b.limit, lane) < 1 {
		// A limit of 1 leaves background work no slot at all.
		return Decision{RetryAfter: b.window}, nil
	}
	var d Decision
	var unsettled bool
	err := b.health.Do(ctx, func(ctx context.Context) error {
		var err error
		d, err = b.shared(ctx, take, lane)
		if errors.Is(err, ErrUnsettled) {
			// Redis answered: the window is incomplete, not unreachable.
			unsettled = true
			return nil
		}
		return err
	})
	switch {
	case err == nil && !unsettled:
		now := b.now()
		if d.Admitted {
			b.own.record(now, d.ID)
		}
		b.own.carry(d.Used, now, b.window)
		b.remaining(d, lane, b.limit)
		return d, nil
	case err == nil: // unsettled: decide locally, then hand the admission over
		d = b.local(take, lane)
		if d.Admitted {
			b.push(ctx)
		} else {
			// The window settles as soon as the other replicas re-seed,
			// on their next heartbeat: worth a wait, not a minute's
			// refusal.
			d.RetryAfter = min(d.RetryAfter, settleRetry)
		}
		return d, nil
	case ctx.Err() != nil:
		// The caller went away; that says nothing about the store.
		return Decision{}, ctx.Err()
	case !errors.Is(err, storehealth.ErrDown):
		b.storeError(err)
	}
	return b.local(take, lane), nil
}

// shared runs the decision on the store. After an outage (one this Budget
// may not have seen: another user of the same Health may have) it first
// re-seeds the window with this replica's own admissions, starting a new
// epoch that every live replica must re-seed; when the store says the window
// this replica seeded is gone, it re-seeds and asks again.
func (b *Budget) shared(ctx context.Context, take bool, lane Lane) (Decision, error) {
	if !take {
		return b.store.Peek(ctx, b.account, b.limit, b.window)
	}
	if err := b.catchUp(ctx); err != nil {
		return Decision{}, err
	}
	limit := LaneLimit(b.limit, lane)
	d, err := b.store.Admit(ctx, b.account, limit, b.window)
	if errors.Is(err, ErrResync) && b.resyncer != nil {
		if err := b.resync(ctx, false); err != nil {
			return Decision{}, err
		}
		d, err = b.store.Admit(ctx, b.account, limit, b.window)
		if errors.Is(err, ErrResync) {
			// Lost again between the re-seed and the admission (a second
			// flush): Redis works, the window is just not trustworthy yet.
			err = ErrUnsettled
		}
	}
	return d, err
}

// catchUp re-seeds the window with a new epoch if the store was down since
// this replica last did. Only one caller at a time re-seeds, so that the
// replica starts one new epoch per outage, not one per concurrent request.
func (b *Budget) catchUp(ctx context.Context) error {
	if b.resyncer == nil || b.health.Outages() == b.synced.Load() {
		return nil
	}
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	outages := b.health.Outages()
	if outages == b.synced.Load() {
		return nil
	}
	if err := b.resync(ctx, true); err != nil {
		return err
	}
	b.synced.Store(outages)
	return nil
}

// local decides on this replica's ledger with its share of the limit, and
// the lane's part of that share.
func (b *Budget) local(take bool, lane Lane) Decision {
	share := max(1, b.limit/max(1, b.live()))
	limit := LaneLimit(share, lane)
	if limit < 1 {
		return Decision{RetryAfter: b.window}
	}
	snap, id := b.own.decide(b.now(), limit, b.window, take, rand.Text)
	d := snap.decision(limit, b.window)
	d.ID = id
	b.remaining(d, lane, share)
	return d
}

// resync hands this replica's admissions of the last window to the store.
func (b *Budget) resync(ctx context.Context, restart bool) error {
	return b.resyncer.Resync(ctx, b.account, b.own.recent(b.now(), b.window), b.window, restart)
}

// push re-seeds the store with an admission made on the ledger while the
// window was unsettled, best effort: the next Sync retries it.
func (b *Budget) push(ctx context.Context) {
	if b.resyncer == nil {
		return
	}
	err := b.health.Do(ctx, func(ctx context.Context) error { return b.resync(ctx, false) })
	if err != nil && ctx.Err() == nil && !errors.Is(err, storehealth.ErrDown) {
		b.storeError(err)
	}
}

// Sync re-seeds the shared window with this replica's admissions if it was
// lost or missed them: after an outage, or when the window this replica
// seeded is gone; then it reads the window's count, so that the other
// replicas' admissions are known when an outage starts. Run it on every
// heartbeat (Replicas.OnBeat), so that a replica without traffic of its own
// still re-seeds, the others can trust the window again, and what it carries
// into an outage is at most one heartbeat old. It does nothing while the
// store is down.
func (b *Budget) Sync(ctx context.Context) {
	if b.resyncer == nil {
		return
	}
	err := b.health.Do(ctx, func(ctx context.Context) error {
		if err := b.catchUp(ctx); err != nil {
			return err
		}
		if err := b.resync(ctx, false); err != nil {
			return err
		}
		d, err := b.store.Peek(ctx, b.account, b.limit, b.window)
		if err != nil {
			return err
		}
		b.own.carry(d.Used, b.now(), b.window)
		return nil
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, storehealth.ErrDown) {
		b.storeError(err)
	}
}

// LastRemaining is the remaining count of this replica's latest decision,
// without asking the store; ok is false before any.
func (b *Budget) LastRemaining() (remaining int, ok bool) {
	v := b.last.Load()
	return int(v - 1), v > 0
}
