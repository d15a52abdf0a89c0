package ratelimit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/domain"
)

// Window is the length of Phonewagon's rate window (SPEC §5): the
// window_seconds of GET /v1/budget.
const Window = time.Minute

// Defaults of BudgetConfig.
const (
	DefaultLimit         = 50
	DefaultMaxWait       = 2 * time.Second
	DefaultMargin        = time.Second
	DefaultFallbackShare = 3
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
	// Fallback counts while Store fails (Redis down). Default a new
	// MemoryStore on Now. It admits only FallbackLimit (below), since every
	// replica falls back on its own.
	Fallback Store
	// FallbackShare divides Limit into the per-replica share admitted on
	// the fallback: Limit/FallbackShare, floored, at least 1. Set it to the
	// expected number of replicas. Default DefaultFallbackShare.
	FallbackShare int
	// RetryShared is how long the fallback is used alone after Store
	// failed, before Store is tried again. Default DefaultRetryShared.
	RetryShared time.Duration
	// Now is the clock used to account for MaxWait and RetryShared.
	// Default time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	// Default a timer; tests pair it with Now to wait on a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, when set, is told the outcome of every Wait that could not
	// admit at once: WaitAdmitted, WaitExhausted or WaitCanceled.
	OnWait func(outcome string)
	// OnRemaining, when set, is told the remaining slots after every
	// decision (for a gauge).
	OnRemaining func(remaining int)
	// OnStoreError, when set, is told every failure of Store that sent the
	// Budget to its fallback (for a log line or a counter).
	OnStoreError func(err error)
}

// Budget admits the requests of one Phonewagon account. It satisfies the
// Phonewagon client's Budget interface. It is safe for concurrent use; make
// one per account and share it between the tenants that use the account.
type Budget struct {
	account       string
	limit         int
	fallbackLimit int
	window        time.Duration // Window + margin
	store         Store
	fallback      Store
	shared        breaker
	maxWait       time.Duration
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error
	onWait        func(outcome string)
	onRemaining   func(remaining int)
	onStoreError  func(err error)
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
	case cfg.FallbackShare < 0:
		return nil, errors.New("ratelimit: budget config: fallback_share: must not be negative")
	case cfg.RetryShared < 0:
		return nil, errors.New("ratelimit: budget config: retry_shared: must not be negative")
	}
	b := &Budget{
		account:      cfg.Account,
		limit:        cmp.Or(cfg.Limit, DefaultLimit),
		window:       Window + cmp.Or(cfg.Margin, DefaultMargin),
		store:        cfg.Store,
		fallback:     cfg.Fallback,
		maxWait:      cmp.Or(cfg.MaxWait, DefaultMaxWait),
		now:          cfg.Now,
		sleep:        cfg.Sleep,
		onWait:       cfg.OnWait,
		onRemaining:  cfg.OnRemaining,
		onStoreError: cfg.OnStoreError,
	}
	b.fallbackLimit = max(1, b.limit/cmp.Or(cfg.FallbackShare, DefaultFallbackShare))
	if b.now == nil {
		b.now = time.Now
	}
	if b.sleep == nil {
		b.sleep = sleep
	}
	if b.fallback == nil {
		b.fallback = NewMemoryStore(b.now)
	}
	b.shared = breaker{now: b.now, cooldown: cmp.Or(cfg.RetryShared, DefaultRetryShared)}
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
func (b *Budget) Wait(ctx context.Context) error {
	start := b.now()
	var slept time.Duration
	for {
		d, err := b.decide(ctx, Store.Admit)
		if err != nil {
			return fmt.Errorf("ratelimit: wait: %w", err)
		}
		if d.Admitted {
			if slept > 0 {
				b.outcome(WaitAdmitted)
			}
			return nil
		}
		// Count both the clock and the sleeps, so that a clock that does
		// not move cannot hold a request for ever.
		spent := max(b.now().Sub(start), slept)
		if d.RetryAfter > b.maxWait-spent {
			b.outcome(WaitExhausted)
			return &domain.Error{
				Code:       domain.CodeUpstreamBudget,
				Message:    "the Phonewagon request budget is spent; retry later",
				RetryAfter: d.RetryAfter,
			}
		}
		// A refusal always names a positive delay; the floor only keeps a
		// misbehaving Store from turning this loop into a busy one.
		pause := max(d.RetryAfter, minSleep)
		if err := b.sleep(ctx, pause); err != nil {
			b.outcome(WaitCanceled)
			return fmt.Errorf("ratelimit: wait for a Phonewagon slot: %w", err)
		}
		slept += pause
	}
}

// Pause refuses admissions for d (an upstream 429's Retry-After) on every
// replica; d <= 0 does nothing. The fallback is paused too, so that the
// pause survives a Redis outage that starts during it. Failures are reported
// to OnStoreError only: the pause is best effort.
func (b *Budget) Pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	_ = b.fallback.Pause(ctx, b.account, d)
	// The shared store is tried even while the breaker is open: a pause is
	// rare, and the other replicas need it.
	if err := b.store.Pause(ctx, b.account, d); err != nil && ctx.Err() == nil {
		b.shared.failed()
		b.storeError(err)
	}
}

// Status reports the remaining slots and when the next one frees, without
// taking one: GET /v1/budget and the X-Upstream-Budget-Remaining header.
// While the store fails it reports the fallback's share.
func (b *Budget) Status(ctx context.Context) (Decision, error) {
	d, err := b.decide(ctx, Store.Peek)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: status: %w", err)
	}
	return d, nil
}

// decide runs op (Admit or Peek) on the shared store, or on the fallback
// with the reduced limit when the store fails or failed recently.
func (b *Budget) decide(ctx context.Context, op func(Store, context.Context, string, int, time.Duration) (Decision, error)) (Decision, error) {
	if b.shared.allow() {
		d, err := op(b.store, ctx, b.account, b.limit, b.window)
		if err == nil {
			b.shared.succeeded()
			b.remaining(d)
			return d, nil
		}
		if ctx.Err() != nil {
			// The caller went away; that says nothing about the store.
			return Decision{}, ctx.Err()
		}
		b.shared.failed()
		b.storeError(err)
	}
	d, err := op(b.fallback, ctx, b.account, b.fallbackLimit, b.window)
	if err != nil {
		return Decision{}, err
	}
	b.remaining(d)
	return d, nil
}

// outcome tells OnWait how a wait ended.
func (b *Budget) outcome(o string) {
	if b.onWait != nil {
		b.onWait(o)
	}
}

// remaining tells OnRemaining what d left.
func (b *Budget) remaining(d Decision) {
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

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
