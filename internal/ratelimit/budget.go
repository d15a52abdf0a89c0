package ratelimit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storehealth"
)

// Window is the length of Phonewagon's rate window (SPEC §5): the
// window_seconds of GET /v1/budget.
const Window = time.Minute

// Defaults of BudgetConfig.
const (
	DefaultLimit   = 50
	DefaultMaxWait = 2 * time.Second
	DefaultMargin  = time.Second
	// DefaultRetryShared is the cooldown of a Budget's or a
	// FallbackLimitCounter's own store health, when none is given.
	DefaultRetryShared = storehealth.DefaultCooldown
)

// minSleep is the shortest wait between two admission attempts.
const minSleep = time.Millisecond

// Outcomes passed to BudgetConfig.OnWait.
const (
	// WaitAdmitted: the request found the budget spent, waited, and got a
	// slot.
	WaitAdmitted = "admitted"
	// WaitExhausted: no slot frees within MaxWait; the request is refused.
	WaitExhausted = "exhausted"
	// WaitCanceled: the caller gave up while waiting.
	WaitCanceled = "canceled"
)

// BudgetConfig configures a Budget. Zero fields mean the documented default.
type BudgetConfig struct {
	// Account names the budget in the store: the Phonewagon client id, since
	// tenants sharing one share its budget. Required.
	Account string
	// Limit is the number of requests per Window. Default DefaultLimit.
	Limit int
	// Store holds the shared count. Required.
	Store Store
	// MaxWait bounds how long Wait holds a request for a slot.
	// Default DefaultMaxWait.
	MaxWait time.Duration
	// Margin widens the window we count in, beyond Window. Phonewagon
	// counts requests when they arrive; we count them when we admit them.
	// A request admitted at t arrives at t+δ, so the requests arriving in
	// any 60 s of Phonewagon's were admitted within 60 s + δ of ours: as
	// long as δ ≤ Margin, counting in a 60 s + Margin window guarantees the
	// upstream never sees more than Limit in its window. δ is the time from
	// admission to the request on the wire (a pooled connection: well under
	// a millisecond; a new one: a dial and a TLS handshake, some hundreds
	// of ms), so the default DefaultMargin (1 s) covers it with room to
	// spare at the cost of 1/61 of the throughput. A slower δ is the rare
	// case the upstream's 429, and the Pause it triggers, backstop.
	Margin time.Duration
	// Health decides whether Store is used or the Budget falls back to
	// this replica's own ledger; share it with the other users of the same
	// Redis client. Default one of the Budget's own, with a cooldown of
	// RetryShared.
	Health *storehealth.Health
	// RetryShared is the cooldown of the default Health. Default
	// DefaultRetryShared.
	RetryShared time.Duration
	// LiveReplicas is the number of replicas last seen alive (Replicas.Live):
	// while Store is down, or being re-seeded, this replica admits
	// Limit/LiveReplicas (floored, at least 1) in any window, counting its
	// own admissions and the other replicas' last seen. Default: 1, a
	// single replica.
	LiveReplicas func() int
	// Now is the clock of MaxWait, RetryShared and this replica's ledger.
	// Default time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	// Default a timer; tests pair it with Now to wait on a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, when set, is told the outcome of every Wait that could not
	// admit at once: WaitAdmitted, WaitExhausted or WaitCanceled.
	OnWait func(outcome string)
	// OnRemaining, when set, is told the remaining slots after every
	// decision (for a gauge). LastRemaining reports the same.
	OnRemaining func(remaining int)
	// OnStoreError, when set, is told every failure of Store that sent the
	// Budget to its fallback (for a log line or a counter).
	OnStoreError func(err error)
}

// Budget admits the requests of one Phonewagon account. It satisfies the
// Phonewagon client's Budget interface. It is safe for concurrent use; make
// one per account and share it between the tenants that use the account.
//
// Every admission is also recorded in this replica's ledger. While Store
// fails, the Budget admits against the ledger (its own admissions and the
// other replicas' as last seen) with its share of the limit; when Store is
// back after an outage, or turns out to have lost its window, the Budget
// re-seeds it with its own admissions before admitting more, so that no
// window of the upstream ever sees more than Limit.
type Budget struct {
	account      string
	limit        int
	window       time.Duration // Window + margin
	store        Store
	resyncer     Resyncer // Store, when it can lose its window; else nil
	health       *storehealth.Health
	live         func() int
	own          ledger
	synced       atomic.Uint64 // health's outage count at the last re-seed
	syncMu       sync.Mutex    // one re-seed after an outage at a time
	last         atomic.Int64  // remaining+1 of the latest decision; 0 = none
	maxWait      time.Duration
	now          func() time.Time
	sleep        func(ctx context.Context, d time.Duration) error
	onWait       func(outcome string)
	onRemaining  func(remaining int)
	onStoreError func(err error)
}

// NewBudget validates cfg and returns a Budget.
func NewBudget(cfg BudgetConfig) (*Budget, error) {
	switch {
	case cfg.Account == "":
		return nil, errors.New("ratelimit: budget config: account: is required")
	case cfg.Store == nil:
		return nil, errors.New("ratelimit: budget config: store: is required")
	case cfg.Limit < 0:
		return nil, errors.New("ratelimit: budget config: limit: must not be negative")
	case cfg.MaxWait < 0:
		return nil, errors.New("ratelimit: budget config: max_wait: must not be negative")
	case cfg.Margin < 0:
		return nil, errors.New("ratelimit: budget config: margin: must not be negative")
	case cfg.RetryShared < 0:
		return nil, errors.New("ratelimit: budget config: retry_shared: must not be negative")
	}
	b := &Budget{
		account:      cfg.Account,
		limit:        cmp.Or(cfg.Limit, DefaultLimit),
		window:       Window + cmp.Or(cfg.Margin, DefaultMargin),
		store:        cfg.Store,
		health:       cfg.Health,
		live:         cfg.LiveReplicas,
		maxWait:      cmp.Or(cfg.MaxWait, DefaultMaxWait),
		now:          cfg.Now,
		sleep:        cfg.Sleep,
		onWait:       cfg.OnWait,
		onRemaining:  cfg.OnRemaining,
		onStoreError: cfg.OnStoreError,
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.sleep == nil {
		b.sleep = Sleep
	}
	if b.live == nil {
		b.live = func() int { return 1 }
	}
	if b.health == nil {
		h, err := storehealth.New(storehealth.Config{Cooldown: cmp.Or(cfg.RetryShared, DefaultRetryShared), Now: b.now})
		if err != nil {
			return nil, fmt.Errorf("ratelimit: budget config: %w", err)
		}
		b.health = h
	}
	b.resyncer, _ = b.store.(Resyncer)
	b.synced.Store(b.health.Outages())
	return b, nil
}

// Wait takes a slot for one upstream request. When the budget is spent it
// waits for the next slot if that frees within MaxWait (without polling: it
// sleeps until the store says a slot frees, then asks again), and otherwise
// returns at once a *domain.Error upstream-budget-exhausted whose RetryAfter
// is the time until the next slot frees or the pause ends. Refusing at once
// rather than after MaxWait gives the caller the same answer sooner and frees
// the request's resources.
//
// A failing store is not an error: Wait falls back to the per-replica share.
// It returns an error wrapping ctx.Err() when ctx ends first.
//
// The lane ctx carries (WithLane) picks the limit: a Background request is
// admitted only while Reserve(limit) slots stay free after it. It waits for
// its lane as a caller waits (at most MaxWait, and only when a slot of its
// lane frees within it), and is otherwise refused at once with the
// RetryAfter of its lane, which the background work honours before trying
// again; it never takes a slot a caller could have had.
func (b *Budget) Wait(ctx context.Context) error {
	lane := LaneOf(ctx)
	start := b.now()
	var slept time.Duration
	for {
		d, err := b.decide(ctx, true, lane)
		if err != nil {
			return fmt.Errorf("ratelimit: wait: %w", err)
		}
		if d.Admitted {
			if slept > 0 {
				b.outcome(lane, WaitAdmitted)
			}
			return nil
		}
		// Count both the clock and the sleeps, so that a clock that does
		// not move cannot hold a request for ever.
		spent := max(b.now().Sub(start), slept)
		if d.RetryAfter > b.maxWait-spent || beyondDeadline(ctx, d.RetryAfter) {
			return b.exhausted(lane, d.RetryAfter)
		}
		// A refusal always names a positive delay; the floor only keeps a
		// misbehaving Store from turning this loop into a busy one.
		pause := max(d.RetryAfter, minSleep)
		if err := b.sleep(ctx, pause); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				// The deadline came first after all (a sleep overslept).
				return b.exhausted(lane, d.RetryAfter)
			}
			b.outcome(lane, WaitCanceled)
			return fmt.Errorf("ratelimit: wait for a Phonewagon slot: %w", err)
		}
		slept += pause
	}
}

// exhausted counts a wait of lane that gave up and returns its refusal,
// retriable after retryAfter.
func (b *Budget) exhausted(lane Lane, retryAfter time.Duration) error {
	b.outcome(lane, WaitExhausted)
	return &domain.Error{
		Code:       domain.CodeUpstreamBudget,
		Message:    "the Phonewagon request budget is spent; retry later",
		RetryAfter: retryAfter,
	}
}

// beyondDeadline reports whether ctx ends before d has passed: a wait that
// long would only end with the deadline, so the budget is spent as far as
// this request is concerned (a cache fill, say, bounded by its own
// deadline), and it is refused at once with the delay after which to retry.
func beyondDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < d
}

// Pause refuses admissions for d (an upstream 429's Retry-After) on every
// replica; d <= 0 does nothing. The ledger is paused too, so that the pause
// survives a Redis outage that starts during it. Failures are reported to
// OnStoreError only: the pause is best effort.
func (b *Budget) Pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	b.own.pause(b.now().Add(d))
	if err := b.health.Do(ctx, func(ctx context.Context) error {
		return b.store.Pause(ctx, b.account, d)
	}); err != nil && ctx.Err() == nil && !errors.Is(err, storehealth.ErrDown) {
		b.storeError(err)
	}
}

// Status reports the remaining slots and when the next one frees, without
// taking one: GET /v1/budget and the X-Upstream-Budget-Remaining header.
// While the store fails it reports this replica's share.
func (b *Budget) Status(ctx context.Context) (Decision, error) {
	d, err := b.decide(ctx, false, Caller)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: status: %w", err)
	}
	return d, nil
}

// outcome tells OnWait how a caller's wait ended. Background waits are
// not told: the mirror's lane is full most of a backfill by design, and
// the budget-waits metric is about callers waiting.
func (b *Budget) outcome(lane Lane, o string) {
	if b.onWait != nil && lane == Caller {
		b.onWait(o)
	}
}

// remaining records what d, decided in lane against limit's lane limit,
// left for a caller, and tells OnRemaining. A background decision that left
// nothing for its lane says nothing certain about the caller's view (the
// window may be paused, or hold only the reserve), so it is not reported.
func (b *Budget) remaining(d Decision, lane Lane, limit int) {
	if lane == Background {
		if !d.Admitted && d.Remaining == 0 {
			return
		}
		d.Remaining += Reserve(limit)
	}
	b.last.Store(int64(d.Remaining) + 1)
	if b.onRemaining != nil {
		b.onRemaining(d.Remaining)
	}
}

// storeError tells OnStoreError about a failure of the shared store.
func (b *Budget) storeError(err error) {
	if b.onStoreError != nil {
		b.onStoreError(err)
	}
}

// Sleep waits for d or until ctx is done, returning ctx.Err() then: the
// wall-clock default of BudgetConfig.Sleep, and of every wait shaped like it.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
