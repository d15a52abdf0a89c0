package idempotency_test

import (
	"os"
	"testing"
	"time"

	"switchboard/internal/idempotency"
	"switchboard/internal/redistest"
)

// TestMain stops the Redis Cluster the cluster variants share.
func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestRedisStoreOnCluster(t *testing.T) {
	testStore(t, func(t *testing.T) storeHarness {
		rdb, prefix := redistest.Cluster(t)
		return storeHarness{store: idempotency.NewRedis(rdb, prefix, nil), elapse: func(time.Duration) {}}
	})
}
