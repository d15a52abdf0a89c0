package cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/cache"
)

func TestRedisIdempotency(t *testing.T) {
	testIdempotency(t, func(t *testing.T) idempotencyHarness {
		rdb, prefix := cacheTestRedis(t)
		return idempotencyHarness{store: cache.NewRedisIdempotency(rdb, prefix), elapse: func(time.Duration) {}}
	})
}

func TestRedisIdempotencyStorage(t *testing.T) {
	ctx := context.Background()

	t.Run("the raw key never appears in Redis", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		s := cache.NewRedisIdempotency(rdb, prefix)
		mustBegin(t, s, "acme:order-4711", "h", time.Minute)
		keys := redisKeys(t, rdb, prefix)
		if len(keys) != 1 {
			t.Fatalf("got keys %q, want exactly one", keys)
		}
		if rest := strings.TrimPrefix(keys[0], prefix); strings.Contains(rest, "acme") || strings.Contains(rest, "4711") {
			t.Fatalf("got key %q, want no trace of the raw key", keys[0])
		}
	})

	t.Run("a claim expires with PX after its ttl", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		s := cache.NewRedisIdempotency(rdb, prefix)
		mustBegin(t, s, "k", "h", 90*time.Second)
		ttl, err := rdb.PTTL(ctx, redisKeys(t, rdb, prefix)[0]).Result()
		if err != nil || ttl <= 80*time.Second || ttl > 90*time.Second {
			t.Fatalf("got PTTL %v, %v; want just under 90s", ttl, err)
		}
	})

	t.Run("an unreadable value is an error, not a replay", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		s := cache.NewRedisIdempotency(rdb, prefix)
		mustBegin(t, s, "k", "h", time.Minute)
		stored := redisKeys(t, rdb, prefix)[0]
		for _, junk := range []string{"C", "C\x01\xff", "X-unknown"} {
			rdb.Set(ctx, stored, junk, time.Minute)
			if res, err := s.Begin(ctx, "k", "h", time.Minute); err == nil {
				t.Errorf("Begin over %q: got %v, want an error", junk, res.Outcome)
			}
		}
	})

	t.Run("a store without a client fails instead of panicking", func(t *testing.T) {
		s := cache.NewRedisIdempotency(nil, "")
		if _, err := s.Begin(ctx, "k", "h", time.Minute); err == nil {
			t.Error("Begin: got nil error, want one")
		}
		if err := s.Complete(ctx, "k", sampleRecord("h"), time.Minute); err == nil {
			t.Error("Complete: got nil error, want one")
		}
		if err := s.Release(ctx, "k"); err == nil {
			t.Error("Release: got nil error, want one")
		}
	})
}
