package ratelimit

import (
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
)

// limitedCounter is a counter that answers a key it must not admit more for
// (RedisLimitCounter's MaxUnsynced) as full, and so needs the limit of the
// limiter asking.
type limitedCounter interface {
	httprate.LimitCounter
	getLimited(key string, currentWindow, previousWindow time.Time, limit int) (int, int, error)
}

// PerLimiter returns the counter to give one httprate limiter
// (httprate.WithLimitCounter) when several limiters with different limits
// share c, as the gateway's per-tenant limiters do. For a RedisLimitCounter
// or a FallbackLimitCounter it is a view of c that learns its limiter's
// limit from httprate's Config call, so that a key answered as full counts
// exactly that limit and the 429's X-RateLimit-Remaining reads 0 as for any
// other refusal; given c itself, such a limiter would see the largest limit
// configured. Any other counter is returned as it is.
func PerLimiter(c httprate.LimitCounter) httprate.LimitCounter {
	if lc, ok := c.(limitedCounter); ok {
		return &limiterView{limitedCounter: lc}
	}
	return c
}

// limiterView is one limiter's view of a shared counter.
type limiterView struct {
	limitedCounter
	limit atomic.Int64
}

// Config implements httprate.LimitCounter.
func (v *limiterView) Config(requestLimit int, windowLength time.Duration) {
	v.limit.Store(int64(requestLimit))
	v.limitedCounter.Config(requestLimit, windowLength)
}

// Get implements httprate.LimitCounter.
func (v *limiterView) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	return v.getLimited(key, currentWindow, previousWindow, int(v.limit.Load()))
}
