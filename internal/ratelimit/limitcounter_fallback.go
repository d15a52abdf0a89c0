package ratelimit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/storehealth"
)

// FallbackCounterConfig configures a FallbackLimitCounter. Zero fields mean
// the documented default.
type FallbackCounterConfig struct {
	// Shared is the counter shared by the replicas, typically a
	// RedisLimitCounter. Required.
	Shared httprate.LimitCounter
	// Local counts this replica's requests, and answers while Shared fails.
	// Default httprate.NewLocalLimitCounter. It must never fail.
	Local httprate.LimitCounter
	// Health decides whether Shared is used or Local answers alone; share
	// it with the other users of the same Redis client. Default one of the
	// counter's own, with a cooldown of RetryShared.
	Health *storehealth.Health
	// RetryShared is the cooldown of the default Health. Default
	// DefaultRetryShared.
	RetryShared time.Duration
	// Now is the clock of the default Health. Default time.Now.
	Now func() time.Time
	// OnSharedError, when set, is told every failure of Shared that sent
	// the counter to Local (for a log line or a counter).
	OnSharedError func(err error)
}

// FallbackLimitCounter is an httprate.LimitCounter that keeps the inbound
// limit working while the shared counter is unreachable. It is safe for
// concurrent use.
//
// httprate answers any counter error with 428 Precondition Required and the
// error's text as the body: a Redis outage would fail every request and show
// callers an internal address. SPEC §5 wants the gateway to keep serving, so
// on a failure this counter answers from Local instead: each replica then
// enforces the full limit on its own traffic, a more permissive limit than
// the shared one by the number of replicas. That is the right side to err
// on for an inbound limit, which protects the gateway rather than an
// upstream contract (the Phonewagon budget falls back to a reduced share
// instead).
//
// Local is incremented on every request, not only during an outage, so that
// when Shared fails mid-window this replica's own requests are already
// counted and a caller does not get a fresh allowance.
//
// A RedisLimitCounter given as Shared is made to exchange with Redis through
// Health and to report its failed exchanges to OnSharedError. Its counts
// never wait for Redis, so this counter reads them whenever Health is up and
// leaves probing the store to the exchanges; any other Shared is called on
// the request's path, and probed by the request that Health allows after a
// cooldown.
type FallbackLimitCounter struct {
	shared, local httprate.LimitCounter
	// synced is shared when it is a RedisLimitCounter.
	synced        *RedisLimitCounter
	health        *storehealth.Health
	onSharedError func(err error)
}

var _ httprate.LimitCounter = (*FallbackLimitCounter)(nil)

// NewFallbackLimitCounter validates cfg and returns a FallbackLimitCounter.
func NewFallbackLimitCounter(cfg FallbackCounterConfig) (*FallbackLimitCounter, error) {
	switch {
	case cfg.Shared == nil:
		return nil, errors.New("ratelimit: fallback counter config: shared: is required")
	case cfg.RetryShared < 0:
		return nil, errors.New("ratelimit: fallback counter config: retry_shared: must not be negative")
	}
	c := &FallbackLimitCounter{shared: cfg.Shared, local: cfg.Local, health: cfg.Health, onSharedError: cfg.OnSharedError}
	if c.local == nil {
		// The window is replaced by httprate's call to Config.
		c.local = httprate.NewLocalLimitCounter(defaultCounterWindow)
	}
	if c.health == nil {
		h, err := storehealth.New(storehealth.Config{Cooldown: cmp.Or(cfg.RetryShared, DefaultRetryShared), Now: cfg.Now})
		if err != nil {
			return nil, fmt.Errorf("ratelimit: fallback counter config: %w", err)
		}
		c.health = h
	}
	if rc, ok := cfg.Shared.(*RedisLimitCounter); ok {
		c.synced = rc
		rc.attach(c.health, cfg.OnSharedError)
	}
	return c, nil
}

// Sync exchanges the counts of a RedisLimitCounter given as Shared with
// Redis now (see RedisLimitCounter.Sync); for any other Shared it does
// nothing.
func (c *FallbackLimitCounter) Sync(ctx context.Context) error {
	if c.synced == nil {
		return nil
	}
	return c.synced.Sync(ctx)
}

// Close closes a RedisLimitCounter given as Shared (see
// RedisLimitCounter.Close); for any other Shared it does nothing.
func (c *FallbackLimitCounter) Close() error {
	if c.synced == nil {
		return nil
	}
	return c.synced.Close()
}

// Config implements httprate.LimitCounter.
func (c *FallbackLimitCounter) Config(requestLimit int, windowLength time.Duration) {
	c.shared.Config(requestLimit, windowLength)
	c.local.Config(requestLimit, windowLength)
}

// Increment implements httprate.LimitCounter.
func (c *FallbackLimitCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

// IncrementBy implements httprate.LimitCounter. It fails only if Local does.
func (c *FallbackLimitCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	if err := c.local.IncrementBy(key, currentWindow, amount); err != nil {
		return fmt.Errorf("ratelimit: increment local inbound count: %w", err)
	}
	if c.synced != nil {
		// Counted in memory, added to Redis by an exchange, even one
		// after an outage.
		return c.synced.IncrementBy(key, currentWindow, amount)
	}
	// httprate's counter takes no context: the shared counter bounds its
	// own calls, and the health decides whether to make them.
	if c.health.Allow() {
		if err := c.shared.IncrementBy(key, currentWindow, amount); err != nil {
			c.sharedFailed(err)
			return nil
		}
		c.health.Succeeded()
	}
	return nil
}

// Get implements httprate.LimitCounter. It fails only if Local does.
func (c *FallbackLimitCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	return c.getLimited(key, currentWindow, previousWindow, 0)
}

// getLimited is Get for a limiter enforcing limit (see PerLimiter).
func (c *FallbackLimitCounter) getLimited(key string, currentWindow, previousWindow time.Time, limit int) (int, int, error) {
	if c.synced != nil {
		// It fails, without waiting, while the store is down.
		if curr, prev, err := c.synced.getLimited(key, currentWindow, previousWindow, limit); err == nil {
			return curr, prev, nil
		}
	} else if c.health.Allow() {
		curr, prev, err := c.shared.Get(key, currentWindow, previousWindow)
		if err == nil {
			c.health.Succeeded()
			return curr, prev, nil
		}
		c.sharedFailed(err)
	}
	curr, prev, err := c.local.Get(key, currentWindow, previousWindow)
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: get local inbound count: %w", err)
	}
	return curr, prev, nil
}

// sharedFailed records the failure in the health and reports err.
func (c *FallbackLimitCounter) sharedFailed(err error) {
	c.health.Failed()
	if c.onSharedError != nil {
		c.onSharedError(err)
	}
}
