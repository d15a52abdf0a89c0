package cache_test

import (
	"context"
	"switchboard/internal/redistest"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// cacheTestRedis is the test Redis under a prefix of this test's own (see
// redistest.Open).
func cacheTestRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	return redistest.Open(t)
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
