package ratelimit_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/ratelimit"
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

func TestRedisLimitCounterConformance(t *testing.T) {
	testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
		rdb := newRedisClient(t)
		return ratelimit.NewRedisLimitCounter(rdb, testPrefix(t, rdb))
	})
}

func TestFallbackLimitCounterConformance(t *testing.T) {
	t.Run("with the shared counter up", func(t *testing.T) {
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			rdb := newRedisClient(t)
			return mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
				Shared: ratelimit.NewRedisLimitCounter(rdb, testPrefix(t, rdb)),
			})
		})
	})
	t.Run("with the shared counter down", func(t *testing.T) {
		testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
			return mustFallbackCounter(t, ratelimit.FallbackCounterConfig{
				Shared: ratelimit.NewRedisLimitCounter(unreachableRedis(t), ""),
			})
		})
	})
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
	c := ratelimit.NewRedisLimitCounter(rdb, prefix)
	c.Config(100, 10*time.Second)
	w := time.Now().UTC().Truncate(10 * time.Second)
	mustIncrement(t, c.Increment("tenant:acme {x}", w))

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
	c := ratelimit.NewRedisLimitCounter(unreachableRedis(t), "")
	if err := c.Increment("acme", time.Now()); err == nil {
		t.Error("Increment: got no error, want one")
	}
	if _, _, err := c.Get("acme", time.Now(), time.Now().Add(-time.Minute)); err == nil {
		t.Error("Get: got no error, want one")
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
