package ratelimit_test

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultTestRedisURL is the Redis the tests use unless
// SWITCHBOARD_TEST_REDIS_URL names another.
const defaultTestRedisURL = "redis://127.0.0.1:6379/0"

// newRedisClient connects to the test Redis. When it is unreachable the test
// is skipped, except in CI (CI=true), where a missing Redis is a failure.
func newRedisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if url == "" {
		url = defaultTestRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_REDIS_URL: %v", err)
	}
	opts.ContextTimeoutEnabled = true
	opts.DialerRetries = 1 // a missing Redis is reported at once, not after retries
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s is unreachable: %v", opts.Addr, err)
		}
		t.Skipf("skipping: no Redis at %s (set SWITCHBOARD_TEST_REDIS_URL to use another): %v", opts.Addr, err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// unreachableRedis returns a client of a Redis that is not there: nothing
// listens on port 1, so every call fails at once.
func unreachableRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testPrefix returns a key prefix of its own for the test, and deletes every
// key under it when the test ends.
func testPrefix(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	prefix := "sbtest:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		keys := scanKeys(ctx, t, rdb, prefix)
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("deleting the test keys: %v", err)
			}
		}
	})
	return prefix
}

// scanKeys lists the keys under prefix.
func scanKeys(ctx context.Context, t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scanning %s*: %v", prefix, err)
	}
	return keys
}

// fakeClock is a clock that moves only when told to. Its Sleep advances it
// instead of waiting, so that a Budget's waits take no real time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// afterSleep, when set, runs after every Sleep: another replica acting
	// while this one waited.
	afterSleep func()
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	after := c.afterSleep
	c.mu.Unlock()
	if after != nil {
		after()
	}
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
