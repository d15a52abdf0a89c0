package ratelimit_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/ratelimit"
	"switchboard/internal/storehealth"
)

// TestInboundLimitSlackAcrossThreeReplicas floods one tenant through three
// replicas counting in the same Redis, all at once, and checks the bound
// RedisLimitCounter documents: the replicas admit at most × MaxUnsynced
// requests beyond the limit (MaxUnsynced, or 1/UnsyncedShare of a large
// limit), and once they have exchanged their counts each of them refuses the
// tenant.
func TestInboundLimitSlackAcrossThreeReplicas(t *testing.T) {
	const (
		replicas = 3
		// A day-long window keeps the flood within one window.
		window = 24 * time.Hour
	)
	for _, tc := range []struct {
		name        string
		limit       int
		interval    time.Duration
		maxUnsynced int
		// Behind the fallback, as the gateway runs it.
		fallback bool
		// The documented slack: (replicas-1) × S.
		slack int
	}{
		{"with the defaults", 120, 0, 0, false, 2 * ratelimit.DefaultMaxUnsynced},
		{"behind the fallback", 120, 0, 0, true, 2 * ratelimit.DefaultMaxUnsynced},
		{"with exchanges every millisecond and at most 3 unconfirmed", 60, time.Millisecond, 3, false, 2 * 3},
		{"with exchanges every 200 ms and at most 20 unconfirmed", 60, 200 * time.Millisecond, 20, true, 2 * 20},
		{"with a limit whose share is more than MaxUnsynced", 1280, time.Millisecond, 3, true, 2 * 1280 / ratelimit.UnsyncedShare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb := newRedisClient(t)
			prefix := testPrefix(t, rdb)
			limit, slack := tc.limit, tc.slack
			byTenant := func(r *http.Request) (string, error) { return "tenant:" + r.Header.Get("X-Tenant"), nil }
			var (
				counters []syncer
				handlers []http.Handler
			)
			for range replicas {
				// Redis is up all along: a failed exchange fails the test.
				// The flood keeps both CPUs busy, so the exchanges get a
				// timeout that only an outage reaches.
				onError := func(err error) { t.Errorf("exchange: %v", err) }
				health, err := storehealth.New(storehealth.Config{Timeout: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				var c syncer = newRedisCounter(t, ratelimit.RedisCounterConfig{
					Redis: newRedisClient(t), Prefix: prefix, Interval: tc.interval, MaxUnsynced: tc.maxUnsynced,
					Health: health, OnError: onError,
				})
				if tc.fallback {
					c = mustFallbackCounter(t, ratelimit.FallbackCounterConfig{Shared: c, Health: health, OnSharedError: onError})
				}
				counters = append(counters, c)
				limiter := httprate.NewRateLimiter(limit, window, httprate.WithKeyFuncs(byTenant),
					httprate.WithLimitCounter(ratelimit.PerLimiter(c)))
				handlers = append(handlers, limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusOK)
				})))
			}

			// Four callers per replica send the tenant's requests until
			// the limit is reached, and a while after.
			var admitted, refused atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for i := range replicas * 4 {
				h := handlers[i%replicas]
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						switch code := serve(h, "acme"); code {
						case http.StatusOK:
							admitted.Add(1)
						case http.StatusTooManyRequests:
							refused.Add(1)
						default:
							t.Errorf("got status %d", code)
							return
						}
					}
				})
			}
			deadline := time.After(30 * time.Second)
			for admitted.Load() < int64(limit) || refused.Load() < int64(10*limit) {
				select {
				case <-deadline:
					close(stop)
					wg.Wait()
					t.Fatalf("after 30 s: %d admitted, %d refused", admitted.Load(), refused.Load())
				case <-time.After(time.Millisecond):
				}
			}
			close(stop)
			wg.Wait()

			got := int(admitted.Load())
			t.Logf("admitted %d, refused %d, limit %d, documented slack %d", got, refused.Load(), limit, slack)
			if got > limit+slack {
				t.Errorf("admitted %d requests, want at most the limit %d + the slack %d", got, limit, slack)
			}
			// Every admitted request reaches Redis.
			for range 2 {
				for _, c := range counters {
					mustSync(t, c)
				}
			}
			if inRedis := sumCounts(t, prefix); inRedis != got {
				t.Errorf("Redis counts %d requests, want the %d admitted", inRedis, got)
			}
			// Each replica now refuses the tenant: a serial request per
			// replica, each after the others' counts were exchanged.
			for i, h := range handlers {
				if code := serve(h, "acme"); code != http.StatusTooManyRequests {
					t.Errorf("replica %d after the exchanges: got %d, want 429", i, code)
				}
			}
		})
	}
}

// sumCounts adds up the counts of the keys under prefix.
func sumCounts(t *testing.T, prefix string) int {
	t.Helper()
	rdb := newRedisClient(t)
	sum := 0
	for _, k := range scanKeys(t.Context(), t, rdb, prefix) {
		v, err := rdb.Get(t.Context(), k).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(fmt.Errorf("count of %s: %w", k, err))
		}
		sum += n
	}
	return sum
}
