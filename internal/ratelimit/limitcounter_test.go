package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/ratelimit"
	"switchboard/internal/storehealth"
)

// counterWindow is the window of the limit counter tests.
const counterWindow = time.Minute

// testLimitCounter is the conformance suite of httprate.LimitCounter, run
// over httprate's own local counter (the reference semantics) and ours.
// newCounter must return an empty counter.
func testLimitCounter(t *testing.T, newCounter func(t *testing.T) httprate.LimitCounter) {
	t.Helper()
	// httprate aligns a custom counter's windows to the wall clock; the
	// local counter relies on it.
	w := time.Now().UTC().Truncate(counterWindow)
	next, after := w.Add(counterWindow), w.Add(2*counterWindow)
	prev := w.Add(-counterWindow)

	tests := []struct {
		name string
		run  func(c httprate.LimitCounter)
		// The Get to check and its expected counts.
		curr, prevW         time.Time
		wantCurr, wantPrevN int
	}{
		{
			name: "an unused key counts zero",
			run:  func(httprate.LimitCounter) {},
			curr: w, prevW: prev,
		},
		{
			name: "increments add up in the current window",
			run: func(c httprate.LimitCounter) {
				mustIncrement(t, c.Increment("acme", w))
				mustIncrement(t, c.Increment("acme", w))
				mustIncrement(t, c.IncrementBy("acme", w, 3))
			},
			curr: w, prevW: prev, wantCurr: 5,
		},
		{
			name: "the last window's count becomes the previous one",
			run: func(c httprate.LimitCounter) {
				mustIncrement(t, c.IncrementBy("acme", w, 2))
				mustIncrement(t, c.Increment("acme", next))
			},
			curr: next, prevW: w, wantCurr: 1, wantPrevN: 2,
		},
		{
			name: "a window with no increments yet still sees the previous one",
			run: func(c httprate.LimitCounter) {
				mustIncrement(t, c.IncrementBy("acme", w, 4))
			},
			curr: next, prevW: w, wantPrevN: 4,
		},
		{
			name: "counts two windows old are forgotten",
			run: func(c httprate.LimitCounter) {
				mustIncrement(t, c.IncrementBy("acme", w, 4))
			},
			curr: after, prevW: next,
		},
		{
			name: "keys are counted apart",
			run: func(c httprate.LimitCounter) {
				mustIncrement(t, c.IncrementBy("globex", w, 7))
				mustIncrement(t, c.Increment("acme", w))
			},
			curr: w, prevW: prev, wantCurr: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCounter(t)
			c.Config(100, counterWindow)
			tc.run(c)
			curr, prevN, err := c.Get("acme", tc.curr, tc.prevW)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if curr != tc.wantCurr || prevN != tc.wantPrevN {
				t.Errorf("got counts %d and %d, want %d and %d", curr, prevN, tc.wantCurr, tc.wantPrevN)
			}
		})
	}
}

func mustIncrement(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("increment: %v", err)
	}
}

func TestLocalLimitCounterConformance(t *testing.T) {
	testLimitCounter(t, func(*testing.T) httprate.LimitCounter {
		return httprate.NewLocalLimitCounter(counterWindow)
	})
}

// syncingCounter is a RedisLimitCounter (or a fallback in front of one)
// that exchanges its counts with Redis after every call, so that the
// conformance suite checks what went through Redis and not only memory.
type syncingCounter struct {
	httprate.LimitCounter
	sync func(ctx context.Context) error
	t    *testing.T
}

func (c syncingCounter) IncrementBy(key string, w time.Time, n int) error {
	if err := c.LimitCounter.IncrementBy(key, w, n); err != nil {
		return err
	}
	c.exchange()
	return nil
}

func (c syncingCounter) Increment(key string, w time.Time) error { return c.IncrementBy(key, w, 1) }

func (c syncingCounter) Get(key string, curr, prev time.Time) (int, int, error) {
	a, b, err := c.LimitCounter.Get(key, curr, prev)
	c.exchange()
	return a, b, err
}

func (c syncingCounter) exchange() {
	if err := c.sync(c.t.Context()); err != nil {
		c.t.Fatalf("Sync: %v", err)
	}
}

func TestRedisLimitCounterConformance(t *testing.T) {
	t.Run("answered from memory", func(t *testing.T) {
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			rdb := newRedisClient(t)
			return newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: testPrefix(t, rdb)})
		})
	})
	t.Run("answered from Redis", func(t *testing.T) {
		// Each count is written by one counter and read by another
		// (another replica), after an exchange with Redis.
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			rdb := newRedisClient(t)
			prefix := testPrefix(t, rdb)
			writer := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: prefix})
			reader := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: newRedisClient(t), Prefix: prefix})
			return &writerReader{writer: syncingCounter{writer, writer.Sync, t}, reader: reader, t: t}
		})
	})
}

// writerReader increments through one counter and reads through another,
// reading twice: the first Get makes the reader ask Redis about the key at
// its next exchange, the second answers what it learned.
type writerReader struct {
	writer syncingCounter
	reader *ratelimit.RedisLimitCounter
	t      *testing.T
}

func (c *writerReader) Config(limit int, w time.Duration) {
	c.writer.Config(limit, w)
	c.reader.Config(limit, w)
}

func (c *writerReader) Increment(key string, w time.Time) error { return c.writer.Increment(key, w) }

func (c *writerReader) IncrementBy(key string, w time.Time, n int) error {
	return c.writer.IncrementBy(key, w, n)
}

func (c *writerReader) Get(key string, curr, prev time.Time) (int, int, error) {
	if _, _, err := c.reader.Get(key, curr, prev); err != nil {
		return 0, 0, err
	}
	if err := c.reader.Sync(c.t.Context()); err != nil {
		c.t.Fatalf("Sync: %v", err)
	}
	return c.reader.Get(key, curr, prev)
}

func TestFallbackLimitCounterConformance(t *testing.T) {
	t.Run("with the shared counter up", func(t *testing.T) {
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			rdb := newRedisClient(t)
			c := mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
				Shared: newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: testPrefix(t, rdb)}),
			})
			return syncingCounter{c, c.Sync, t}
		})
	})
	t.Run("with the shared counter down", func(t *testing.T) {
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			c := mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
				Shared: newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: unreachableRedis(t)}),
			})
			// The first exchange fails and the counts come from Local.
			return syncingCounter{c, func(ctx context.Context) error { _ = c.Sync(ctx); return nil }, t}
		})
	})
}

// newRedisCounter returns a RedisLimitCounter closed when the test ends.
func newRedisCounter(t *testing.T, cfg ratelimit.RedisCounterConfig) *ratelimit.RedisLimitCounter {
	t.Helper()
	c, err := ratelimit.NewRedisLimitCounterWithConfig(cfg)
	if err != nil {
		t.Fatalf("NewRedisLimitCounterWithConfig: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustFallbackCounter(t *testing.T, cfg ratelimit.FallbackCounterConfig) *ratelimit.FallbackLimitCounter {
	t.Helper()
	c, err := ratelimit.NewFallbackLimitCounter(cfg)
	if err != nil {
		t.Fatalf("NewFallbackLimitCounter: %v", err)
	}
	return c
}

func TestRedisLimitCounterKeys(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	c := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: rdb, Prefix: prefix})
	c.Config(100, 10*time.Second)
	w := time.Now().UTC().Truncate(10 * time.Second)
	mustIncrement(t, c.Increment("tenant:acme {x}", w))
	if err := c.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}

	keys := scanKeys(t.Context(), t, rdb, prefix)
	want := prefix + "{tenant%3Aacme+%7Bx%7D}:" + strconv.FormatInt(w.UnixMilli(), 10)
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("got keys %q, want [%q]", keys, want)
	}
	ttl, err := rdb.PTTL(t.Context(), keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 15*time.Second || ttl > 20*time.Second {
		t.Errorf("got TTL %v, want just under two windows (20s)", ttl)
	}
}

func TestRedisLimitCounterReportsAnUnreachableRedis(t *testing.T) {
	var reported atomic.Int64
	c := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: unreachableRedis(t), OnError: func(error) { reported.Add(1) }})
	// Counting never waits for Redis, so it cannot fail; the exchange does.
	if err := c.Increment("acme", time.Now()); err != nil {
		t.Errorf("Increment: %v", err)
	}
	if err := c.Sync(t.Context()); err == nil {
		t.Error("Sync: got no error, want one")
	}
	if n := reported.Load(); n != 1 {
		t.Errorf("got %d failures reported, want 1", n)
	}
	if _, _, err := c.Get("acme", time.Now(), time.Now().Add(-time.Minute)); err == nil {
		t.Error("Get after a failed exchange: got no error, want one")
	}
}

func TestNewFallbackLimitCounterValidates(t *testing.T) {
	shared := ratelimit.NewRedisLimitCounter(unreachableRedis(t), "")
	for _, tc := range []struct {
		name string
		cfg  ratelimit.FallbackCounterConfig
	}{
		{"a shared counter is required", ratelimit.FallbackCounterConfig{}},
		{"a negative retry is refused", ratelimit.FallbackCounterConfig{Shared: shared, RetryShared: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := ratelimit.NewFallbackLimitCounter(tc.cfg); err == nil {
				t.Errorf("got %v, want an error", c)
			}
		})
	}
}

// gate is a go-redis Limiter that holds every command until it is opened.
type gate struct{ open chan struct{} }

func (g *gate) Allow() error         { <-g.open; return nil }
func (g *gate) ReportResult(_ error) {}

func TestRedisLimitCounterAnswersFullAtMaxUnsynced(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	opts := *rdb.Options()
	g := &gate{open: make(chan struct{})}
	opts.Limiter = g
	held := redis.NewClient(&opts)
	t.Cleanup(func() { _ = held.Close() })
	// The exchanges wait at the gate as long as the test needs.
	health, err := storehealth.New(storehealth.Config{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: held, Prefix: prefix, MaxUnsynced: 2, Health: health})
	var opened sync.Once
	release := func() { opened.Do(func() { close(g.open) }) }
	t.Cleanup(release) // before Close's last exchange
	// Another tenant's limiter on the same counter, with a larger limit.
	_ = httprate.NewRateLimiter(100, time.Hour, httprate.WithLimitCounter(ratelimit.PerLimiter(c)))
	byTenant := func(r *http.Request) (string, error) { return "tenant:" + r.Header.Get("X-Tenant"), nil }
	h := httprate.NewRateLimiter(5, time.Hour, httprate.WithKeyFuncs(byTenant),
		httprate.WithLimitCounter(ratelimit.PerLimiter(c))).Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	send := func() (int, string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/companies", nil)
		r.Header.Set("X-Tenant", "acme")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Header().Get("X-RateLimit-Remaining")
	}

	type answer struct {
		code      int
		remaining string
	}
	var got []answer
	for range 3 {
		code, rem := send()
		got = append(got, answer{code, rem})
	}
	// Two unconfirmed requests: the third is refused although the limit
	// is 5, as a full key of this limiter (not of the other's 100).
	want := []answer{{200, "4"}, {200, "3"}, {429, "0"}}
	if !slices.Equal(got, want) {
		t.Errorf("with the exchange held: got %v, want %v", got, want)
	}

	release()
	mustSync(t, c)
	if code, rem := send(); code != http.StatusOK || rem != "2" {
		t.Errorf("after the exchange: got %d with %s remaining, want 200 with 2", code, rem)
	}
}

// breaker is a go-redis Limiter that fails every command while it is down.
type breaker struct{ down atomic.Bool }

func (b *breaker) Allow() error {
	if b.down.Load() {
		return errStoreDown
	}
	return nil
}
func (b *breaker) ReportResult(_ error) {}

func TestFallbackLimitCounterAddsAnOutagesRequestsToRedis(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	opts := *rdb.Options()
	b := &breaker{}
	opts.Limiter = b
	flaky := redis.NewClient(&opts)
	t.Cleanup(func() { _ = flaky.Close() })
	clock := newFakeClock()
	var failures atomic.Int64
	// An hour between exchanges: only the test's Sync exchanges.
	shared := newRedisCounter(t, ratelimit.RedisCounterConfig{Redis: flaky, Prefix: prefix, Interval: time.Hour})
	c := mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
		Shared: shared, Now: clock.Now, RetryShared: 5 * time.Second,
		OnSharedError: func(error) { failures.Add(1) },
	})
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

	mustIncrement(t, c.Increment("acme", w))
	mustSync(t, c)

	b.down.Store(true)
	mustIncrement(t, c.IncrementBy("acme", w, 2))
	if err := c.Sync(t.Context()); err == nil {
		t.Fatal("Sync with Redis down: got no error, want one")
	}
	if n := failures.Load(); n != 1 {
		t.Errorf("got %d failures reported, want 1", n)
	}
	if n := get(); n != 3 {
		t.Errorf("Redis down: got %d, want this replica's own 3", n)
	}
	mustIncrement(t, c.Increment("acme", w))
	if err := c.Sync(t.Context()); err == nil {
		t.Fatal("Sync while cooling down: got no error, want one")
	}

	b.down.Store(false)
	clock.Advance(5 * time.Second)
	mustSync(t, c) // the probe, which succeeds
	if n := sumCounts(t, prefix); n != 4 {
		t.Errorf("Redis counts %d requests after the outage, want all 4", n)
	}
	if n := get(); n != 4 {
		t.Errorf("Redis back: got %d, want 4", n)
	}
	if n := failures.Load(); n != 1 {
		t.Errorf("got %d failures reported, want 1", n)
	}
}
