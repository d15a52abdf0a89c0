package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
)

func TestRedisBackend(t *testing.T) {
	testBackend(t, func(t *testing.T) backendHarness {
		rdb, prefix := cacheTestRedis(t)
		return backendHarness{backend: cache.NewRedisBackend(rdb, prefix), elapse: func(time.Duration) {}}
	})
}

func TestRedisBackendStorage(t *testing.T) {
	ctx := context.Background()

	t.Run("an entry is one key under the prefix expiring after keep", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		b := cache.NewRedisBackend(rdb, prefix)
		mustSet(t, b, cache.Key("acme", "/v1/companies"), sampleEntry("body"), time.Minute)
		keys := redisKeys(t, rdb, prefix)
		if len(keys) != 1 {
			t.Fatalf("got keys %q, want exactly one", keys)
		}
		ttl, err := rdb.PTTL(ctx, keys[0]).Result()
		if err != nil || ttl <= 50*time.Second || ttl > time.Minute {
			t.Fatalf("got PTTL %v, %v; want just under 1m", ttl, err)
		}
	})

	t.Run("an unreadable value reads as a miss", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		b := cache.NewRedisBackend(rdb, prefix)
		mustSet(t, b, "k", sampleEntry("body"), time.Minute)
		stored := redisKeys(t, rdb, prefix)[0]
		for _, junk := range []string{"", "\x01", "\x01\xff\xff", "\x09future layout", "\x01\x02\x03\x04\x7f"} {
			rdb.Set(ctx, stored, junk, time.Minute)
			e, ok, err := b.Get(ctx, "k")
			if ok || err != nil {
				t.Errorf("Get over %q: got %+v, %v, %v; want a miss without error", junk, e, ok, err)
			}
		}
	})

	t.Run("an unreachable Redis is an error, not a hang", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1})
		defer rdb.Close()
		b := cache.NewRedisBackend(rdb, "")
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, _, err := b.Get(ctx, "k"); err == nil {
			t.Error("Get: got nil error, want one")
		}
		if err := b.Set(ctx, "k", sampleEntry("body"), time.Minute); err == nil {
			t.Error("Set: got nil error, want one")
		}
		if _, _, err := b.TryLock(ctx, "k", time.Minute); err == nil {
			t.Error("TryLock: got nil error, want one")
		}
		if err := b.Unlock(ctx, "k", "token"); err == nil {
			t.Error("Unlock: got nil error, want one")
		}
	})

	t.Run("a backend without a client fails instead of panicking", func(t *testing.T) {
		b := cache.NewRedisBackend(nil, "")
		if _, _, err := b.Get(ctx, "k"); err == nil {
			t.Error("Get: got nil error, want one")
		}
		if _, _, err := b.TryLock(ctx, "k", time.Minute); err == nil {
			t.Error("TryLock: got nil error, want one")
		}
	})
}
