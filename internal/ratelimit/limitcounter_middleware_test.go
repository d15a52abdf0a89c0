package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/ratelimit"
)

// replica is one gateway replica's inbound limit: httprate's middleware in
// front of a handler that answers 200, keyed by the X-Tenant header.
func replica(t *testing.T, limit int, counter httprate.LimitCounter) http.Handler {
	t.Helper()
	byTenant := func(r *http.Request) (string, error) { return "tenant:" + r.Header.Get("X-Tenant"), nil }
	// An hour-long window keeps the test clear of window boundaries.
	limiter := httprate.NewRateLimiter(limit, time.Hour, httprate.WithKeyFuncs(byTenant), httprate.WithLimitCounter(counter))
	return limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
}

// serve sends one request for tenant to h and returns the status.
func serve(h http.Handler, tenant string) int {
	r := httptest.NewRequest(http.MethodGet, "/v1/companies", nil)
	r.Header.Set("X-Tenant", tenant)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// syncer is a counter that exchanges its counts with Redis on demand.
type syncer interface {
	httprate.LimitCounter
	Sync(ctx context.Context) error
}

func TestInboundLimitHoldsAcrossReplicas(t *testing.T) {
	tests := []struct {
		name string
		wrap func(t *testing.T, c *ratelimit.RedisLimitCounter) syncer
	}{
		{"with the Redis counter", func(_ *testing.T, c *ratelimit.RedisLimitCounter) syncer { return c }},
		{"with the Redis counter behind the fallback", func(t *testing.T, c *ratelimit.RedisLimitCounter) syncer {
			return mustFallbackCounter(t, ratelimit.FallbackCounterConfig{Shared: c})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := newRedisClient(t)
			prefix := testPrefix(t, rdb)
			counters := []syncer{
				tc.wrap(t, newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: prefix})),
				tc.wrap(t, newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: newRedisClient(t), Prefix: prefix})),
			}
			replicas := []http.Handler{
				replica(t, 3, ratelimit.PerLimiter(counters[0])),
				replica(t, 3, ratelimit.PerLimiter(counters[1])),
			}
			// Requests a moment apart: each replica has exchanged its
			// counts with Redis before the next request.
			exchange := func() {
				t.Helper()
				for _, c := range counters {
					if err := c.Sync(t.Context()); err != nil {
						t.Fatalf("Sync: %v", err)
					}
				}
			}
			var got []int
			for i := range 6 {
				got = append(got, serve(replicas[i%2], "acme"))
				exchange()
			}
			want := []int{200, 200, 200, 429, 429, 429}
			if !slices.Equal(got, want) {
				t.Errorf("got statuses %v, want %v", got, want)
			}
			if code := serve(replicas[0], "globex"); code != http.StatusOK {
				t.Errorf("another tenant: got %d, want 200", code)
			}
		})
	}
}

func TestInboundLimitKeepsWorkingWithRedisUnreachable(t *testing.T) {
	var failures atomic.Int64
	counter := mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
		Shared:        newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: unreachableRedis(t)}),
		OnSharedError: func(error) { failures.Add(1) },
	})
	h := replica(t, 2, ratelimit.PerLimiter(counter))
	var got []int
	for range 3 {
		got = append(got, serve(h, "acme"))
		// The first exchange fails, the next ones wait for RetryShared.
		if err := counter.Sync(t.Context()); err == nil {
			t.Error("Sync: got no error, want one")
		}
	}
	if want := []int{200, 200, 429}; !slices.Equal(got, want) {
		t.Errorf("got statuses %v, want %v", got, want)
	}
	if n := failures.Load(); n != 1 {
		t.Errorf("got %d shared-counter failures reported, want 1 until RetryShared passes", n)
	}
}

// switchableCounter is a shared counter that can be taken down.
type switchableCounter struct {
	httprate.LimitCounter
	down atomic.Bool
}

func (c *switchableCounter) IncrementBy(key string, w time.Time, n int) error {
	if c.down.Load() {
		return errStoreDown
	}
	return c.LimitCounter.IncrementBy(key, w, n)
}

func (c *switchableCounter) Get(key string, curr, prev time.Time) (int, int, error) {
	if c.down.Load() {
		return 0, 0, errStoreDown
	}
	return c.LimitCounter.Get(key, curr, prev)
}

func TestFallbackLimitCounterReturnsToTheSharedCounter(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	inner := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: prefix})
	shared := &switchableCounter{LimitCounter: inner}
	clock := newFakeClock()
	c := mustFallbackCounter(t, ratelimit.FallbackCounterConfig{Shared: shared, Now: clock.Now, RetryShared: 5 * time.Second})
	c.Config(100, counterWindow)
	w := time.Now().UTC().Truncate(counterWindow)
	get := func() int {
		t.Helper()
		n, _, err := c.Get("acme", w, w.Add(-counterWindow))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return n
	}

	// The other replicas' requests, learned by an exchange.
	other := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: newRedisClient(t), Prefix: prefix})
	other.Config(100, counterWindow)
	mustIncrement(t, other.IncrementBy("acme", w, 10))
	mustSync(t, other)
	if n := get(); n != 0 {
		t.Fatalf("before an exchange: got %d, want 0", n)
	}
	mustSync(t, inner)
	mustIncrement(t, c.Increment("acme", w))
	if n := get(); n != 11 {
		t.Fatalf("shared counter up: got %d, want 11", n)
	}

	shared.down.Store(true)
	if n := get(); n != 1 {
		t.Fatalf("shared counter down: got %d, want this replica's own 1", n)
	}
	shared.down.Store(false)
	clock.Advance(5*time.Second - time.Nanosecond)
	if n := get(); n != 1 {
		t.Fatalf("before RetryShared: got %d, want the local 1", n)
	}
	clock.Advance(time.Nanosecond)
	if n := get(); n != 11 {
		t.Fatalf("after RetryShared: got %d, want the shared 11", n)
	}
}

func mustSync(t *testing.T, c syncer) {
	t.Helper()
	if err := c.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}
