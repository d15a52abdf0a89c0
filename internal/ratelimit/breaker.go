package ratelimit

import (
	"sync/atomic"
	"time"
)

// DefaultRetryShared is how long a Budget or FallbackLimitCounter keeps to its
// local fallback after the shared store failed, before trying it again.
const DefaultRetryShared = time.Second

// breaker remembers that the shared store (Redis) failed, so that an outage
// costs one timeout per cool-down instead of one per request: without it,
// every request would wait out redisTimeout before falling back, and
// httprate, which holds a mutex around its counter calls, would serialize
// the whole gateway behind those timeouts.
//
// While open it lets one caller per cool-down through as a probe; a probe that
// succeeds closes it, so the shared state is used again soon after recovery.
// It is safe for concurrent use.
type breaker struct {
	now      func() time.Time
	cooldown time.Duration
	// openUntil is when the next probe may go, in Unix nanoseconds; 0 when
	// closed.
	openUntil atomic.Int64
}

// allow reports whether the caller may use the shared store now.
func (br *breaker) allow() bool {
	until := br.openUntil.Load()
	if until == 0 {
		return true
	}
	now := br.now()
	if now.UnixNano() < until {
		return false
	}
	// Only the caller that moves the deadline probes; the others keep to
	// the fallback meanwhile.
	return br.openUntil.CompareAndSwap(until, now.Add(br.cooldown).UnixNano())
}

// succeeded records a working call to the shared store.
func (br *breaker) succeeded() {
	if br.openUntil.Load() != 0 {
		br.openUntil.Store(0)
	}
}

// failed records a failed call to the shared store.
func (br *breaker) failed() {
	br.openUntil.Store(br.now().Add(br.cooldown).UnixNano())
}
