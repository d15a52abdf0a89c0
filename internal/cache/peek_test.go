package cache_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

func TestPeekReadsOnlyAFreshEntryAndNeverFills(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T, clock *clocktest.Clock) cache.Backend
	}{
		{"memory", func(_ *testing.T, clock *clocktest.Clock) cache.Backend { return cache.NewMemoryBackend(clock.Now, 0) }},
		{"redis", func(t *testing.T, _ *clocktest.Clock) cache.Backend {
			rdb, prefix := cacheTestRedis(t)
			return cache.NewRedisBackend(rdb, prefix)
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clock := clocktest.New()
			var statuses []cache.Status
			c := newTestCache(t, clock, cache.Config{Backend: b.open(t, clock),
				OnResult: func(s cache.Status) { statuses = append(statuses, s) }})
			key := cache.Key("acme", "pw-1", "campaigns", "1001")

			t.Run("a key never filled is none", func(t *testing.T) {
				if _, _, ok := c.Peek(ctx, key); ok {
					t.Fatal("got an entry, want none")
				}
			})
			f := newFiller(`{"data":[]}`, freshFor)
			mustFetch(t, c, key, false, f)
			stored := clock.Now()
			statuses = nil

			t.Run("a fresh entry is read, with the end of its freshness", func(t *testing.T) {
				clock.Advance(freshFor - time.Second)
				e, expires, ok := c.Peek(ctx, key)
				if !ok || string(e.Body) != `{"data":[]}` || !expires.Equal(stored.Add(freshFor)) {
					t.Fatalf("got %q expiring %v (%v), want the body expiring %v", e.Body, expires, ok, stored.Add(freshFor))
				}
			})
			t.Run("a stale entry is none", func(t *testing.T) {
				clock.Advance(time.Second)
				if _, _, ok := c.Peek(ctx, key); ok {
					t.Fatal("got the stale entry, want none")
				}
			})
			t.Run("nothing was filled or counted", func(t *testing.T) {
				assertFills(t, f, 1)
				if len(statuses) != 0 {
					t.Fatalf("statuses reported: %v, want none", statuses)
				}
			})
			t.Run("a cancelled context reads nothing", func(t *testing.T) {
				mustFetch(t, c, key, true, f)
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				if _, _, ok := c.Peek(cctx, key); ok {
					t.Fatal("got an entry, want none")
				}
			})
		})
	}
}
