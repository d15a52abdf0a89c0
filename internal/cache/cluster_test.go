package cache_test

import (
	"os"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/redistest"
)

// TestMain stops the Redis Cluster the cluster variants share.
func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestRedisBackendOnCluster(t *testing.T) {
	testBackend(t, func(t *testing.T) backendHarness {
		rdb, prefix := redistest.Cluster(t)
		return backendHarness{backend: cache.NewRedisBackend(rdb, prefix), elapse: func(time.Duration) {}}
	})
}

func TestRedisTokensOnCluster(t *testing.T) {
	testTokenStore(t, func(t *testing.T) tokenStore {
		rdb, prefix := redistest.Cluster(t)
		return newRedisTokens(t, rdb, prefix, newEncryptionKey())
	})
}
