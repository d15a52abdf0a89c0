package cache_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
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
