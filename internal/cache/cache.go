package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"

	"switchboard/internal/storehealth"
)

// Status says how a response was produced; it becomes the X-Cache header.
type Status string

// The statuses of SPEC §5.
const (
	// StatusHit: served from a fresh entry, no upstream call.
	StatusHit Status = "HIT"
	// StatusMiss: fetched from the upstream for this caller or for a
	// concurrent caller of the same key (in this replica or another).
	StatusMiss Status = "MISS"
	// StatusStale: the upstream failed and an entry past its freshness
	// (at most StaleFor old) was served instead.
	StatusStale Status = "STALE"
	// StatusBypass: the caller asked to revalidate (Cache-Control:
	// no-cache) and the entry was fetched from the upstream.
	StatusBypass Status = "BYPASS"
)

// Result is what Fetch serves.
type Result struct {
	Entry  Entry
	Status Status
	// Age is the whole seconds since Entry.StoredAt, for the Age header.
	Age time.Duration
	// FillErr is why the upstream could not be asked when Status is
	// StatusStale, for the handler to log; nil otherwise.
	FillErr error
}

// Defaults of the zero Config fields.
const (
	DefaultStaleFor        = 24 * time.Hour
	DefaultFillTimeout     = 30 * time.Second
	DefaultBackendTimeout  = 300 * time.Millisecond
	DefaultBackendCooldown = time.Second
	DefaultPollInterval    = 50 * time.Millisecond
	DefaultL1MaxBytes      = 16 << 20
)

// Config configures a Cache. Zero fields take the documented defaults.
type Config struct {
	// Backend stores the entries. Default: a MemoryBackend of
	// DefaultMemoryBytes (single replica).
	Backend Backend
	// Now is the clock for freshness and age. Default: time.Now. Waits
	// (the wait for another replica's fill, PollInterval, timeouts) run on
	// real time.
	Now func() time.Time
	// StaleFor is how old an entry may be and still be served when the
	// upstream fails. Default: DefaultStaleFor (24 h). Entries are kept
	// for FreshFor + StaleFor.
	StaleFor time.Duration
	// PollInterval is how often a waiting replica looks for the winner's
	// entry. Default: DefaultPollInterval.
	PollInterval time.Duration
	// FillTimeout bounds one fill, which runs detached from the callers'
	// contexts: set it to the upstream timeout. It also bounds how long a
	// replica that lost the fill lock waits for the winner's entry (plus
	// the lock's margin), since that is how long the winner's fill may
	// take: a slow upstream still gets one request per miss.
	// Default: DefaultFillTimeout.
	FillTimeout time.Duration
	// Health decides whether Backend is used or skipped, shared with the
	// other users of the same Redis client. Default: one of the cache's
	// own, built from BackendTimeout and BackendCooldown. Unused with a
	// MemoryBackend, which never fails or hangs.
	Health *storehealth.Health
	// BackendTimeout bounds every backend call of the default Health.
	// Default: DefaultBackendTimeout.
	BackendTimeout time.Duration
	// BackendCooldown is how long the default Health skips the backend
	// after it failed. Default: DefaultBackendCooldown.
	BackendCooldown time.Duration
	// L1TTL, when positive, puts an in-process first-level cache in front
	// of Backend: an entry read from or written to Backend is served from
	// memory for at most L1TTL (and never past its freshness). The price
	// is that a revalidation on another replica reaches this one up to
	// L1TTL late. Default: 0, off.
	L1TTL time.Duration
	// L1MaxBytes bounds the first-level cache. Default: DefaultL1MaxBytes.
	L1MaxBytes int64
	// OnResult, when set, is called with the status of every Result Fetch
	// returns (not for errors), for metrics. It must not block.
	OnResult func(Status)
}

// Cache is the read-through response cache: at most one upstream fetch per
// key at a time, in this process and across replicas sharing a backend,
// and stale entries served when the upstream fails. A backend failure
// never fails a request: the cache then behaves as empty. A Cache is safe
// for concurrent use; build it with New.
type Cache struct {
	backend  Backend
	l1       *MemoryBackend // nil when off
	now      func() time.Time
	health   *storehealth.Health
	group    singleflight.Group
	staleFor time.Duration
	poll     time.Duration
	fillTTL  time.Duration
	l1TTL    time.Duration
	onResult func(Status)
	local    bool // backend is in memory: no timeout or cooldown needed
}

// New validates cfg and returns a Cache.
func New(cfg Config) (*Cache, error) {
	for name, d := range map[string]time.Duration{
		"StaleFor": cfg.StaleFor, "PollInterval": cfg.PollInterval,
		"FillTimeout": cfg.FillTimeout, "BackendTimeout": cfg.BackendTimeout,
		"BackendCooldown": cfg.BackendCooldown, "L1TTL": cfg.L1TTL,
	} {
		if d < 0 {
			return nil, fmt.Errorf("cache: new: %s must not be negative, got %v", name, d)
		}
	}
	if cfg.L1MaxBytes < 0 {
		return nil, fmt.Errorf("cache: new: L1MaxBytes must not be negative, got %d", cfg.L1MaxBytes)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Cache{
		backend:  cfg.Backend,
		now:      now,
		staleFor: cmp.Or(cfg.StaleFor, DefaultStaleFor),
		poll:     cmp.Or(cfg.PollInterval, DefaultPollInterval),
		fillTTL:  cmp.Or(cfg.FillTimeout, DefaultFillTimeout),
		l1TTL:    cfg.L1TTL,
		onResult: cfg.OnResult,
		health:   cfg.Health,
	}
	if c.health == nil {
		h, err := storehealth.New(storehealth.Config{
			Timeout:  cmp.Or(cfg.BackendTimeout, DefaultBackendTimeout),
			Cooldown: cmp.Or(cfg.BackendCooldown, DefaultBackendCooldown),
			Now:      now,
		})
		if err != nil {
			return nil, fmt.Errorf("cache: new: %w", err)
		}
		c.health = h
	}
	if c.backend == nil {
		c.backend = NewMemoryBackend(now, DefaultMemoryBytes)
	}
	_, c.local = c.backend.(*MemoryBackend)
	if cfg.L1TTL > 0 {
		c.l1 = NewMemoryBackend(now, cmp.Or(cfg.L1MaxBytes, DefaultL1MaxBytes))
	}
	return c, nil
}

// Fetch serves key: a fresh entry when there is one, otherwise the entry
// fill returns, stored for its FreshFor. revalidate (Cache-Control:
// no-cache) skips a fresh entry and fills.
//
// Concurrent misses of one key share one fill: in this process through a
// singleflight, and across replicas through the backend's lock, where a
// replica that loses the lock waits for the winner's entry as long as the
// winner's fill may take (FillTimeout, plus the lock's margin) before
// filling itself. A revalidating caller may share a fill that
// started shortly before it did.
//
// The fill runs with ctx's values but not its cancellation
// (context.WithoutCancel) and its own FillTimeout: a caller that goes away
// returns ctx's error at once without failing the fill for the callers that
// share it, and the result is still stored.
//
// When fill fails and an entry at most StaleFor old exists, Fetch returns
// it with StatusStale and the fill error in Result.FillErr. Otherwise it
// returns the error fill returned, unchanged, so the handler can map it.
func (c *Cache) Fetch(ctx context.Context, key string, revalidate bool, fill func(ctx context.Context) (Entry, error)) (Result, error) {
	if fill == nil {
		return Result{}, errors.New("cache: fetch: key and fill are required")
	}
	return c.FetchFrom(ctx, key, revalidate, FillFunc(fill))
}

// Filler produces the entry of a key that has no fresh one.
type Filler interface {
	Fill(ctx context.Context) (Entry, error)
}

// FillFunc is a Filler made of a function.
type FillFunc func(ctx context.Context) (Entry, error)

// Fill calls f.
func (f FillFunc) Fill(ctx context.Context) (Entry, error) { return f(ctx) }

// FetchFrom is Fetch with the fill as a Filler. The Cache keeps the Body
// and Header a fill returns as they are, without a copy: the fill must not
// modify them afterwards. A caller that adapts its
// own fill type to Filler, rather than wrap it in a closure, allocates
// nothing for it on a hit.
func (c *Cache) FetchFrom(ctx context.Context, key string, revalidate bool, fill Filler) (Result, error) {
	if key == "" || fill == nil {
		return Result{}, errors.New("cache: fetch: key and fill are required")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("cache: fetch: %w", context.Cause(ctx))
	}
	seen, found := c.lookup(ctx, key, revalidate)
	if found && !revalidate && seen.fresh(c.now()) {
		return c.serve(seen, StatusHit, nil), nil
	}

	ch := c.group.DoChan(key, func() (any, error) {
		return c.fillOnce(ctx, key, seen, found, fill)
	})
	var fillErr error
	select {
	case r := <-ch:
		if r.Err == nil {
			status := StatusMiss
			if revalidate {
				status = StatusBypass
			}
			return c.serve(r.Val.(Entry), status, nil), nil
		}
		fillErr = r.Err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("cache: fetch: %w", context.Cause(ctx))
	}
	if found && seen.age(c.now()) <= c.staleFor {
		return c.serve(seen, StatusStale, fillErr), nil
	}
	return Result{}, fillErr
}

// serve builds a Result and reports its status.
func (c *Cache) serve(e Entry, status Status, fillErr error) Result {
	if c.onResult != nil {
		c.onResult(status)
	}
	return Result{
		Entry:   e,
		Status:  status,
		Age:     e.age(c.now()).Truncate(time.Second),
		FillErr: fillErr,
	}
}

// lookup returns the entry stored under key, from the first-level cache
// when it holds a fresh one, else from the backend. A backend failure reads
// as a miss.
func (c *Cache) lookup(ctx context.Context, key string, revalidate bool) (Entry, bool) {
	var local Entry
	var inL1 bool
	if c.l1 != nil {
		local, inL1, _ = c.l1.Get(ctx, key)
		if inL1 && !revalidate && local.fresh(c.now()) {
			return local, true
		}
	}
	e, ok, err := c.get(ctx, key)
	if err != nil || !ok {
		return local, inL1
	}
	c.keepLocal(key, e)
	return e, true
}
