package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Decision is a store's answer about one account's budget.
type Decision struct {
	// Admitted reports whether a slot was taken (always false from Peek).
	Admitted bool
	// Limit is the limit the decision was taken against. A Budget running
	// on its fallback reports its reduced per-replica share here.
	Limit int
	// Remaining is how many more admissions the window holds right now,
	// after this one. It is 0 while the account is paused.
	Remaining int
	// Used is how many admissions the window counts, this one included.
	Used int
	// ID names the admission when Admitted: its member in a shared
	// window, so that a re-seed of it is recognised. Empty from a store
	// that keeps no members (MemoryStore).
	ID string
	// RetryAfter is, when not admitted, how long until an admission can
	// succeed: until the oldest counted admission leaves the window or the
	// pause ends, whichever is later. It is 0 when admitted, and 0 from a
	// Peek that would have been admitted.
	RetryAfter time.Duration
	// ResetAt is when Remaining next grows: when the oldest counted
	// admission leaves the window (or the pause ends); the decision's own
	// time when nothing is counted. It is on the store's clock, which for
	// the RedisStore is Redis's.
	ResetAt time.Time
}

// Store counts admissions per account in a sliding window. Implementations
// must be safe for concurrent use; an admission is atomic, so concurrent
// callers can never admit more than limit between them.
//
// The window is a parameter rather than a property of the store so that the
// Budget can widen it by its safety margin (see BudgetConfig.Margin); every
// caller sharing an account should pass the same limit and window.
type Store interface {
	// Admit takes one slot for account if fewer than limit were admitted
	// in the last window and the account is not paused.
	Admit(ctx context.Context, account string, limit int, window time.Duration) (Decision, error)
	// Pause refuses admissions for account for d (an upstream 429's
	// Retry-After). A shorter pause never shortens a longer one; d <= 0
	// does nothing.
	Pause(ctx context.Context, account string, d time.Duration) error
	// Peek reports remaining slots and the reset time without taking one.
	Peek(ctx context.Context, account string, limit int, window time.Duration) (Decision, error)
}

// Resyncer is a Store whose window can be lost or left behind while this
// replica admitted without it: a Redis that restarted empty, was flushed,
// failed over to a replica that lags, or was unreachable for a while. Each
// replica remembers its own admissions (the Budget's ledger) and hands them
// back to Resync, so that the shared window again holds every admission of
// the last window before anyone admits more.
//
// The store marks each account's shared window with an epoch. Admit returns
// ErrResync when the epoch this replica seeded into is gone (the window was
// lost), and ErrUnsettled while a new epoch has not yet been re-seeded by
// every live replica (the window is known to be incomplete); neither is a
// failure of the store.
type Resyncer interface {
	// Resync adds own (this replica's admissions of the last window) to
	// account's shared window, leaving those it already holds alone, and
	// records that this replica has re-seeded the current epoch. restart
	// starts a new epoch first, unless another replica already did since
	// this one last synced: every replica must then re-seed before the
	// window is trusted again (after an outage, during which no replica's
	// admissions reached the store).
	Resync(ctx context.Context, account string, own []Admission, window time.Duration, restart bool) error
}

// Outcomes of a Resyncer's Admit that are not failures of the store.
var (
	// ErrResync: the shared window this replica seeded is gone; call
	// Resync with the replica's admissions, then Admit again.
	ErrResync = errors.New("ratelimit: the shared window was lost; re-seed it")
	// ErrUnsettled: the shared window is being re-seeded and does not yet
	// hold every live replica's admissions; decide on the replica's own
	// ledger and share meanwhile.
	ErrUnsettled = errors.New("ratelimit: the shared window is being re-seeded")
)

// Errors for arguments no store can honour. They are programming errors:
// NewBudget validates its configuration so that a Budget never causes them.
var (
	errLimit  = errors.New("limit must be positive")
	errWindow = errors.New("window must be positive")
)

// checkArgs validates the arguments of Admit and Peek.
func checkArgs(limit int, window time.Duration) error {
	switch {
	case limit < 1:
		return errLimit
	case window <= 0:
		return errWindow
	}
	return nil
}

// snapshot is the state of one account's window at one instant, as both
// stores observe it; decision turns it into a Decision so that the memory
// and Redis stores cannot disagree on what the numbers mean.
type snapshot struct {
	now      time.Time
	admitted bool
	// count is the number of admissions in the window (now-window, now],
	// including this one when admitted.
	count int
	// oldest is the earliest counted admission; zero when count is 0.
	oldest time.Time
	// freeing is the admission whose departure from the window brings the
	// count below limit: the (count-limit)-th oldest, zero-based. It is
	// zero when count < limit. It differs from oldest only when more than
	// limit are counted (the limit was lowered, or callers sharing the
	// account disagree about it).
	freeing     time.Time
	pausedUntil time.Time
}

// decision applies limit and window to s.
func (s snapshot) decision(limit int, window time.Duration) Decision {
	d := Decision{Admitted: s.admitted, Limit: limit, Used: s.count, ResetAt: s.now}

	// nextAdmission is the earliest instant an admission can succeed.
	nextAdmission := s.now
	if s.count >= limit {
		nextAdmission = s.freeing.Add(window)
	}
	paused := s.pausedUntil.After(s.now)
	if paused && s.pausedUntil.After(nextAdmission) {
		nextAdmission = s.pausedUntil
	}

	switch {
	case paused:
		d.ResetAt = nextAdmission
	case s.count >= limit:
		d.ResetAt = s.freeing.Add(window)
	case s.count > 0:
		d.ResetAt = s.oldest.Add(window)
	}
	if !paused && s.count < limit {
		d.Remaining = limit - s.count
	}
	if !s.admitted && nextAdmission.After(s.now) {
		d.RetryAfter = nextAdmission.Sub(s.now)
	}
	return d
}
