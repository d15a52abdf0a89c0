// Package redistest gives tests and benchmarks the real Redis they run
// against (never a mock), under a key prefix of their own that is deleted
// when they end, so that parallel packages and reruns never collide.
package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is the Redis used when SWITCHBOARD_TEST_REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL is the test Redis: SWITCHBOARD_TEST_REDIS_URL, or DefaultURL.
func URL() string {
	if u := os.Getenv("SWITCHBOARD_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Open connects to the test Redis and returns a client and a fresh key
// prefix ("sbtest:<random>:"). Every key under the prefix is deleted and the
// client closed when tb ends. Without a reachable Redis, tb is skipped, or
// fails when CI=true: CI must never pass by skipping.
func Open(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("SWITCHBOARD_TEST_REDIS_URL does not parse: %v", err)
	}
	opt.DialerRetries = 1
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Redis at %s unreachable in CI: %v", opt.Addr, err)
		}
		tb.Skipf("Redis at %s unreachable (%v); set SWITCHBOARD_TEST_REDIS_URL", opt.Addr, err)
	}
	prefix := "sbtest:" + rand.Text()[:12] + ":"
	tb.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := Keys(ctx, rdb, prefix)
		if err != nil {
			tb.Errorf("scanning %s*: %v", prefix, err)
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, prefix
}

// Keys lists every key under prefix.
func Keys(ctx context.Context, rdb *redis.Client, prefix string) ([]string, error) {
	var out []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
}
