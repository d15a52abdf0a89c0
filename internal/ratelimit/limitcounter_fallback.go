package ratelimit

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/go-chi/httprate"
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
	// RetryShared is how long Local answers alone after Shared failed,
	// before Shared is tried again. Default DefaultRetryShared.
	RetryShared time.Duration
	// Now is the clock of RetryShared. Default time.Now.
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
type FallbackLimitCounter struct {
	shared, local httprate.LimitCounter
	breaker       breaker
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
	c := &FallbackLimitCounter{shared: cfg.Shared, local: cfg.Local, onSharedError: cfg.OnSharedError}
	if c.local == nil {
		// The window is replaced by httprate's call to Config.
		c.local = httprate.NewLocalLimitCounter(defaultCounterWindow)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c.breaker = breaker{now: now, cooldown: cmp.Or(cfg.RetryShared, DefaultRetryShared)}
	return c, nil
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
	if c.breaker.allow() {
		if err := c.shared.IncrementBy(key, currentWindow, amount); err != nil {
			c.sharedFailed(err)
			return nil
		}
		c.breaker.succeeded()
	}
	return nil
}

// Get implements httprate.LimitCounter. It fails only if Local does.
func (c *FallbackLimitCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	if c.breaker.allow() {
		curr, prev, err := c.shared.Get(key, currentWindow, previousWindow)
		if err == nil {
			c.breaker.succeeded()
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

// sharedFailed opens the breaker and reports err.
func (c *FallbackLimitCounter) sharedFailed(err error) {
	c.breaker.failed()
	if c.onSharedError != nil {
		c.onSharedError(err)
	}
}
