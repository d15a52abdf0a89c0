package ratelimit_test

import (
	"os"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/ratelimit"
	"switchboard/internal/redistest"
)

// TestMain stops the Redis Cluster the cluster variants share.
func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestRedisStoreConformanceOnCluster(t *testing.T) {
	testStore(t, func(t *testing.T) storeUnderTest {
		rdb, prefix := redistest.Cluster(t)
		return storeUnderTest{
			Store:  ratelimit.NewRedisStore(rdb, prefix, nil),
			elapse: time.Sleep, // Redis TIME is the clock; only real time moves it.
		}
	})
}

func TestRedisStoreReplicasShareTheLimitOnCluster(t *testing.T) {
	rdb, prefix := redistest.Cluster(t)
	other, _ := redistest.Cluster(t)
	// Two clients and two stores: two replicas of the gateway.
	one := ratelimit.NewRedisStore(rdb, prefix, nil)
	two := ratelimit.NewRedisStore(other, prefix, nil)
	testConcurrentAdmissions(t, []ratelimit.Store{one, two})
}

func TestRedisLimitCounterConformanceOnCluster(t *testing.T) {
	testLimitCounter(t, func(t *testing.T) httprate.LimitCounter {
		rdb, prefix := redistest.Cluster(t)
		return ratelimit.NewRedisLimitCounter(rdb, prefix)
	})
}
