// Package storehealth decides, for one shared store (a Redis client), whether
// to use it or fall back: the single policy every Redis user of the gateway
// follows when the shared state fails (the budget, the inbound counter, the
// response cache, readiness).
//
// Every call is bounded by a short timeout; a failure starts a cooldown during
// which callers fall back at once instead of each waiting out a timeout; one
// caller per cooldown probes the store, and a probe that succeeds makes the
// store healthy again. Outages are counted, so that a user who must repair
// the shared state after one (the budget re-seeding its window) can tell a
// recovery happened even if it never saw the store fail itself.
package storehealth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Defaults of the zero Config fields.
const (
	// DefaultTimeout bounds one call: the shared state sits in front of
	// every request, so a slow Redis must turn into a quick fallback.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultCooldown is how long callers fall back after a failure before
	// one of them probes the store again.
	DefaultCooldown = time.Second
)

// ErrDown is what Do returns, without calling the store, while the store is
// cooling down after a failure.
var ErrDown = errors.New("storehealth: shared store unavailable, cooling down")

// Config configures a Health. Zero fields take the documented defaults.
type Config struct {
	// Timeout bounds every call made through Do. Default DefaultTimeout.
	Timeout time.Duration
	// Cooldown is how long the store is skipped after a failure.
	// Default DefaultCooldown.
	Cooldown time.Duration
	// Now is the clock of the cooldown. Default time.Now.
	Now func() time.Time
	// OnChange, when set, is told every change between healthy and down
	// (for a gauge or a log line). It must not block.
	OnChange func(up bool)
}

// Health is the health of one shared store. It is safe for concurrent use;
// share one between every user of the same client.
type Health struct {
	timeout  time.Duration
	cooldown time.Duration
	now      func() time.Time
	onChange func(up bool)
	// downUntil is when the next probe may go, in Unix nanoseconds; 0 while
	// healthy.
	downUntil atomic.Int64
	// outages counts the transitions from healthy to down.
	outages atomic.Uint64
}

// New validates cfg and returns a healthy Health.
func New(cfg Config) (*Health, error) {
	if cfg.Timeout < 0 || cfg.Cooldown < 0 {
		return nil, fmt.Errorf("storehealth: new: timeout and cooldown must not be negative, got %v and %v", cfg.Timeout, cfg.Cooldown)
	}
	h := &Health{
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		cooldown: cmp.Or(cfg.Cooldown, DefaultCooldown),
		now:      cfg.Now,
		onChange: cfg.OnChange,
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// Allow reports whether the caller may use the store now: always while it
// is healthy; while it is down, only the one caller per cooldown that probes
// it. A caller that was allowed must report the outcome with Succeeded or
// Failed (Do does both).
func (h *Health) Allow() bool {
	until := h.downUntil.Load()
	if until == 0 {
		return true
	}
	now := h.now()
	if now.UnixNano() < until {
		return false
	}
	// Only the caller that moves the deadline probes; the others keep to
	// their fallback meanwhile.
	return h.downUntil.CompareAndSwap(until, now.Add(h.cooldown).UnixNano())
}

// Succeeded records a working call: the store is healthy again.
func (h *Health) Succeeded() {
	if h.downUntil.Load() != 0 && h.downUntil.Swap(0) != 0 && h.onChange != nil {
		h.onChange(true)
	}
}

// Failed records a failed call and starts a cooldown.
func (h *Health) Failed() {
	until := h.now().Add(h.cooldown).UnixNano()
	if h.downUntil.Swap(until) == 0 {
		h.outages.Add(1)
		if h.onChange != nil {
			h.onChange(false)
		}
	}
}

// Up reports whether the store is considered healthy: no failure since the
// last success.
func (h *Health) Up() bool { return h.downUntil.Load() == 0 }

// Outages is the number of times the store went from healthy to down. A
// user that saw a value before and sees another now knows the store was
// down in between, and may have missed writes.
func (h *Health) Outages() uint64 { return h.outages.Load() }

// Do runs op with the timeout when Allow lets it, and records the outcome.
// It returns ErrDown without calling op while the store cools down. A
// failure caused by ctx itself (the caller went away) says nothing about the
// store and is not recorded.
func (h *Health) Do(ctx context.Context, op func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !h.Allow() {
		return ErrDown
	}
	cctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	err := op(cctx)
	switch {
	case err == nil:
		h.Succeeded()
	case ctx.Err() == nil:
		h.Failed()
	}
	return err
}

// Check is a readiness check: it pings the store through Do, so that /readyz
// both reports the store's state and probes it during an outage. While the
// store cools down it answers ErrDown without a round trip.
func (h *Health) Check(ping func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error { return h.Do(ctx, ping) }
}
