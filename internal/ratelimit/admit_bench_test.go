package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/ratelimit"
	"switchboard/internal/redistest"
)

// BenchmarkAdmit measures one admission decision, the price every upstream
// request pays before it is sent.
//
// The window is chosen so that the benchmark runs in a steady state that
// admits: on Redis (whose own clock cannot be faked) a 1 ms window holds the
// few admissions of the last millisecond, so every call trims, counts and
// adds; on memory a clock advancing 1.2 s per call keeps about 50 live
// admissions under a limit of 60 in the budget's 61 s window. "refused" is a
// spent budget: the answer every request gets while the account waits.
func BenchmarkAdmit(b *testing.B) {
	ctx := context.Background()
	b.Run("redis", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		s := ratelimit.NewRedisStore(rdb, prefix, nil)
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 1000, time.Millisecond)
			if err != nil || !d.Admitted {
				b.Fatalf("got %+v, %v; want admitted", d, err)
			}
		}
	})
	b.Run("redis refused", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		s := ratelimit.NewRedisStore(rdb, prefix, nil)
		if _, err := s.Admit(ctx, "acme-client", 1, time.Minute); err != nil {
			b.Fatalf("first admission: %v", err)
		}
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 1, time.Minute)
			if err != nil || d.Admitted {
				b.Fatalf("got %+v, %v; want refused", d, err)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		clock := &steppingClock{now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC), step: 1200 * time.Millisecond}
		s := ratelimit.NewMemoryStore(clock.Now)
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 60, ratelimit.Window+ratelimit.DefaultMargin)
			if err != nil || !d.Admitted {
				b.Fatalf("got %+v, %v; want admitted", d, err)
			}
		}
	})
}

// steppingClock moves on by step every time it is read.
type steppingClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// benchRedis is the test Redis under a prefix of the benchmark's own.
func benchRedis(b *testing.B) (*redis.Client, string) {
	b.Helper()
	return redistest.Open(b)
}

// BenchmarkInboundLimit measures the inbound limit's decision for one
// request, httprate's OnLimit with one limiter per tenant sharing one
// counter as the gateway builds them, under parallel load: 64 callers per
// CPU, half of the requests for one hot tenant and the rest spread over
// eight others, every one admitted. "redis round trips" is the counter
// before it answered from memory (NewRoundTripLimitCounter), "redis
// exchanges" RedisLimitCounter; both behind the FallbackLimitCounter as in
// the gateway. "memory" is httprate's own counter, for reference.
func BenchmarkInboundLimit(b *testing.B) {
	for _, tc := range []struct {
		name    string
		counter func(b *testing.B) httprate.LimitCounter
	}{
		{"redis round trips", func(b *testing.B) httprate.LimitCounter {
			rdb, prefix := benchRedis(b)
			return benchFallback(b, ratelimit.NewRoundTripLimitCounter(rdb, prefix))
		}},
		{"redis exchanges", func(b *testing.B) httprate.LimitCounter {
			rdb, prefix := benchRedis(b)
			rc := ratelimit.NewRedisLimitCounter(rdb, prefix)
			b.Cleanup(func() { _ = rc.Close() })
			return benchFallback(b, rc)
		}},
		{"memory", func(*testing.B) httprate.LimitCounter { return nil }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			counter := tc.counter(b)
			const others = 8
			limiters := make([]*httprate.RateLimiter, others+1) // [0] is the hot tenant
			for i := range limiters {
				var opts []httprate.Option
				if counter != nil {
					opts = append(opts, httprate.WithLimitCounter(ratelimit.PerLimiter(counter)))
				}
				limiters[i] = httprate.NewRateLimiter(1<<30, time.Minute, opts...)
			}
			var next atomic.Int64
			b.SetParallelism(64)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest(http.MethodGet, "/v1/companies", nil)
				w := &headerWriter{h: make(http.Header, 4)}
				for i := int(next.Add(1)); pb.Next(); i++ {
					tenant := 0
					if i%2 == 1 {
						tenant = 1 + (i/2)%others
					}
					clear(w.h)
					if limiters[tenant].OnLimit(w, r, tenantKeys[tenant]) {
						b.Errorf("tenant %d refused", tenant)
						return
					}
				}
			})
		})
	}
}

// tenantKeys are the benchmark's tenant ids, built once.
var tenantKeys = func() []string {
	keys := make([]string, 9)
	for i := range keys {
		keys[i] = "tenant-" + strconv.Itoa(i)
	}
	return keys
}()

// headerWriter is the least http.ResponseWriter OnLimit writes headers to.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerWriter) WriteHeader(int)             {}

func benchFallback(b *testing.B, shared httprate.LimitCounter) httprate.LimitCounter {
	b.Helper()
	c, err := ratelimit.NewFallbackLimitCounter(ratelimit.FallbackCounterConfig{Shared: shared})
	if err != nil {
		b.Fatalf("NewFallbackLimitCounter: %v", err)
	}
	return c
}
