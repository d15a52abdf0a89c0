package cache_test

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// cacheTestRedis connects to the test Redis (SWITCHBOARD_TEST_REDIS_URL,
// default redis://127.0.0.1:6379/0) and returns a client and a key prefix
// of this test's own. Every key under the prefix is deleted when the test
// ends. Without a reachable Redis the test is skipped, unless CI=true, where
// a missing Redis is a failure.
func cacheTestRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_REDIS_URL does not parse: %v", err)
	}
	// One dial attempt: an absent Redis is then found out at once, not
	// after the client's retries, in every test that asks.
	opt.DialerRetries = 1
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("test Redis unreachable: %v", err)
		}
		t.Skipf("test Redis unreachable: %v", err)
	}
	prefix := "sbtest:" + rand.Text() + ":"
	t.Cleanup(func() {
		for _, k := range redisKeys(t, rdb, prefix) {
			rdb.Del(context.Background(), k)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// redisKeys lists the keys under prefix with SCAN.
func redisKeys(t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scanning %s*: %v", prefix, err)
	}
	return keys
}

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eventually polls cond until it holds or two seconds pass. It is how a test
// observes Redis expiring a key on Redis's own clock.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not the case after 2s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
