package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
)

// Defaults of SyncerConfig.
const (
	// DefaultLeaseTTL is how long a lease grant lasts without renewal.
	// With DefaultAcquireEvery, a dead holder's lease is taken over within
	// TTL + AcquireEvery = 20 s (SPEC §7: 30 s).
	DefaultLeaseTTL = 15 * time.Second
	// DefaultRenewEvery renews the lease three times per TTL, so two
	// renewals may fail to arrive before it runs out.
	DefaultRenewEvery = 5 * time.Second
	// DefaultAcquireEvery is how often a replica that does not hold the
	// lease tries to take it.
	DefaultAcquireEvery = 5 * time.Second
	// DefaultPollEvery is how often an idle holder looks for follow
	// requests (Cache-Control: no-cache on a mirrored read).
	DefaultPollEvery = time.Second
	// DefaultRetryEvery is the wait after a failed sync request that named
	// no Retry-After.
	DefaultRetryEvery = 5 * time.Second
	// releaseTimeout bounds the Release of a lease when the syncer stops.
	releaseTimeout = 2 * time.Second
)

// Kinds of sync work and outcomes of a sync request, for
// SyncerConfig.OnRequest (the metric of sync requests by kind and outcome).
const (
	KindBackfill = "backfill"
	KindFollow   = "follow"
	KindRevisit  = "revisit"

	OutcomeOK      = "ok"
	OutcomeRefused = "refused" // the budget's background lane was full
	OutcomeError   = "error"
)

// Clock is the syncer's time. Sleep waits d or until ctx ends, returning
// ctx.Err() then (the shape of ratelimit.BudgetConfig.Sleep, so one fake
// clock can drive both). Tests inject a fake one so that minutes of sync
// pass without sleeping.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return ratelimit.Sleep(ctx, d) }

// SyncerConfig is everything a Syncer needs. Zero durations mean the
// documented defaults (the config package's for the mirror block).
type SyncerConfig struct {
	// Account keys the mirror, its lease and state: the Phonewagon account
	// (config.Phonewagon.Account()), shared by the tenants that use it.
	// Required.
	Account string
	// Owner names this replica in the lease (for logs). Required.
	Owner string
	// Upstream answers the account's call pages: its phonewagon.Service,
	// whose client waits on the account's Budget. Every request the syncer
	// makes carries ratelimit.WithLane(ctx, ratelimit.Background). Required.
	Upstream CallLister
	// Store, Leases and Follows are the shared state (one MemoryStore or
	// RedisStore is all three). Required.
	Store   Store
	Leases  Leases
	Follows FollowRequests
	// Retention, SyncInterval, Revisit and RevisitInterval are the
	// account's mirror block (config.Mirror), defaults 2160h, 15s, 2h, 5m.
	Retention, SyncInterval, Revisit, RevisitInterval time.Duration
	// Overlap is how far below the watermark each follow reads; default
	// DefaultOverlap.
	Overlap time.Duration
	// PageSize is the calls asked for per request, 1..1000; default
	// PageSize (1000). Smaller pages only cost more requests; tests use
	// them to cut bursts of calls at page boundaries.
	PageSize int
	// LeaseTTL, RenewEvery, AcquireEvery, PollEvery and RetryEvery: see
	// their defaults. RenewEvery must be under LeaseTTL.
	LeaseTTL, RenewEvery, AcquireEvery, PollEvery, RetryEvery time.Duration
	// OnChange, when set, is told every call a follow or a revisit created
	// or updated (the events subsystem), at least once: a change is left
	// pending in the store with the call's write and cleared once OnChange
	// returned nil, so a change OnChange failed to take, or that a holder
	// killed in between never gave it, is given again (with the call as
	// then held) before any other sync work, on this replica or the next
	// holder. An error stops the sync page, retried as a failed request is.
	// It runs on the sync goroutine and must not block for long.
	OnChange func(change Change, call domain.Call) error
	// OnRequest, when set, is told the kind and outcome of every sync
	// request (metrics).
	OnRequest func(kind, outcome string)
	// OnLease, when set, is told when this replica takes (true) or loses
	// or gives up (false) the account's lease (metrics).
	OnLease func(held bool)
	// Logger receives the sync's failures; default slog.Default().
	Logger *slog.Logger
	// Clock defaults to the wall clock.
	Clock Clock
}

// Syncer keeps one account's mirror in sync. Run one per account on every
// replica: the lease lets one of them work at a time.
type Syncer struct {
	cfg SyncerConfig
}

// NewSyncer validates cfg and applies its defaults.
func NewSyncer(cfg SyncerConfig) (*Syncer, error) {
	switch {
	case cfg.Account == "":
		return nil, errors.New("mirror: syncer config: Account is required")
	case cfg.Owner == "":
		return nil, errors.New("mirror: syncer config: Owner is required")
	case cfg.Upstream == nil || cfg.Store == nil || cfg.Leases == nil || cfg.Follows == nil:
		return nil, errors.New("mirror: syncer config: Upstream, Store, Leases and Follows are required")
	}
	cfg.Retention = cmp.Or(cfg.Retention, 2160*time.Hour)
	cfg.SyncInterval = cmp.Or(cfg.SyncInterval, 15*time.Second)
	cfg.Revisit = cmp.Or(cfg.Revisit, 2*time.Hour)
	cfg.RevisitInterval = cmp.Or(cfg.RevisitInterval, 5*time.Minute)
	cfg.Overlap = cmp.Or(cfg.Overlap, DefaultOverlap)
	cfg.PageSize = cmp.Or(cfg.PageSize, PageSize)
	if cfg.PageSize < 1 || cfg.PageSize > PageSize {
		return nil, fmt.Errorf("mirror: syncer config: PageSize must be between 1 and %d", PageSize)
	}
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, DefaultLeaseTTL)
	cfg.RenewEvery = cmp.Or(cfg.RenewEvery, DefaultRenewEvery)
	cfg.AcquireEvery = cmp.Or(cfg.AcquireEvery, DefaultAcquireEvery)
	cfg.PollEvery = cmp.Or(cfg.PollEvery, DefaultPollEvery)
	cfg.RetryEvery = cmp.Or(cfg.RetryEvery, DefaultRetryEvery)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	for _, d := range []time.Duration{cfg.Retention, cfg.SyncInterval, cfg.Revisit, cfg.RevisitInterval,
		cfg.Overlap, cfg.LeaseTTL, cfg.RenewEvery, cfg.AcquireEvery, cfg.PollEvery, cfg.RetryEvery} {
		if d < 0 {
			return nil, errors.New("mirror: syncer config: durations must not be negative")
		}
	}
	if cfg.RenewEvery >= cfg.LeaseTTL {
		return nil, fmt.Errorf("mirror: syncer config: RenewEvery %v must be under LeaseTTL %v", cfg.RenewEvery, cfg.LeaseTTL)
	}
	return &Syncer{cfg: cfg}, nil
}

// Run syncs until ctx ends: it tries to take the account's lease every
// AcquireEvery and, while it holds it, does the sync work. It returns when
// ctx is done, having released a lease it held.
func (s *Syncer) Run(ctx context.Context) {
	ctx = ratelimit.WithLane(ctx, ratelimit.Background)
	for ctx.Err() == nil {
		fence, ok, err := s.cfg.Leases.Acquire(ctx, s.cfg.Account, s.cfg.Owner, s.cfg.LeaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "mirror lease: acquire failed",
				slog.String("account", s.cfg.Account), slog.String("error", err.Error()))
		case ok:
			// After a grant ends (lost, or the work failed: a store that
			// cannot read the state), wait as a replica without the lease
			// does, so that a failure that repeats does not spin.
			s.hold(ctx, fence)
		}
		_ = s.cfg.Clock.Sleep(ctx, s.cfg.AcquireEvery)
	}
}

// hold works under the lease granted with fence until ctx ends, the work
// fails, or a renewal fails: then the work stops at once (its context is
// canceled), and the lease is released if it is still this grant's.
func (s *Syncer) hold(parent context.Context, fence int64) {
	s.lease(true)
	defer s.lease(false)
	ctx, cancel := context.WithCancel(parent)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		defer cancel()
		s.renew(ctx, fence)
	}()
	err := (&holder{cfg: &s.cfg, clock: s.cfg.Clock, fence: fence}).run(ctx)
	cancel()
	<-renewed
	if err != nil && parent.Err() == nil && !errors.Is(err, context.Canceled) {
		s.cfg.Logger.LogAttrs(parent, slog.LevelWarn, "mirror sync stopped",
			slog.String("account", s.cfg.Account), slog.String("error", err.Error()))
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(parent), releaseTimeout)
	defer rcancel()
	if err := s.cfg.Leases.Release(rctx, s.cfg.Account, fence); err != nil {
		s.cfg.Logger.LogAttrs(parent, slog.LevelWarn, "mirror lease: release failed",
			slog.String("account", s.cfg.Account), slog.String("error", err.Error()))
	}
}

// renew extends the lease every RenewEvery until ctx ends or a renewal
// fails. A failed renewal (refused, or an error: the holder cannot know
// whether it still holds the lease) returns at once, which stops the work.
func (s *Syncer) renew(ctx context.Context, fence int64) {
	for {
		if s.cfg.Clock.Sleep(ctx, s.cfg.RenewEvery) != nil {
			return
		}
		ok, err := s.cfg.Leases.Renew(ctx, s.cfg.Account, fence, s.cfg.LeaseTTL)
		if err != nil || !ok {
			if ctx.Err() == nil {
				s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "mirror lease lost",
					slog.String("account", s.cfg.Account), slog.Bool("refused", err == nil))
			}
			return
		}
	}
}

// lease tells OnLease.
func (s *Syncer) lease(held bool) {
	if s.cfg.OnLease != nil {
		s.cfg.OnLease(held)
	}
}

// Status is the state GET /v1/sync reports for st: "failing" while the
// last sync request failed, else "backfilling" until the backfill is done,
// then "following".
func Status(st State) string {
	switch {
	case st.LastError != "":
		return "failing"
	case !st.BackfillDone:
		return "backfilling"
	}
	return "following"
}
