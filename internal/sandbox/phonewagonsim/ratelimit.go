package phonewagonsim

import (
	"strconv"
	"sync"
	"time"
)

// limiter admits at most limit requests per key in any sliding window, by
// the times it is given. Rejected requests are not remembered, so a client
// that keeps retrying does not push its own window further out. It is safe
// for concurrent use.
type limiter struct {
	limit  int
	window time.Duration

	mu       sync.Mutex
	admitted map[string][]time.Time // oldest first
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, admitted: make(map[string][]time.Time)}
}

// allow admits a request for key at now, or returns how long until the
// oldest admitted request leaves the window and a slot frees up.
func (l *limiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.admitted[key]
	expired := 0
	for expired < len(times) && !now.Before(times[expired].Add(l.window)) {
		expired++
	}
	times = times[expired:]
	if len(times) >= l.limit {
		l.admitted[key] = times
		return times[0].Add(l.window).Sub(now), false
	}
	l.admitted[key] = append(times, now)
	return 0, true
}

// retryAfter renders d as the Retry-After header: whole seconds, rounded up,
// at least 1.
func retryAfter(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}
