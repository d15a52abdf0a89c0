package ratelimit_test

import (
	"os"
	"strconv"
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

// TestRedisLimitCounterExchangesKeysOfManySlotsOnCluster: one exchange
// carries every tenant's count, and tenants' keys live on different slots
// (and masters) of a Cluster.
func TestRedisLimitCounterExchangesKeysOfManySlotsOnCluster(t *testing.T) {
	rdb, prefix := redistest.Cluster(t)
	one, two := ratelimit.NewRedisLimitCounter(rdb, prefix), ratelimit.NewRedisLimitCounter(rdb, prefix)
	t.Cleanup(func() { one.Close(); two.Close() })
	one.Config(1000, counterWindow)
	two.Config(1000, counterWindow)
	w := time.Now().UTC().Truncate(counterWindow)
	prev := w.Add(-counterWindow)
	const tenants = 24
	for i := range tenants {
		mustIncrement(t, one.IncrementBy("tenant-"+strconv.Itoa(i), w, i+1))
	}
	if err := one.Sync(t.Context()); err != nil {
		t.Fatalf("exchange of %d tenants' counts: %v", tenants, err)
	}
	for i := range tenants {
		if _, _, err := two.Get("tenant-"+strconv.Itoa(i), w, prev); err != nil {
			t.Fatal(err)
		}
	}
	if err := two.Sync(t.Context()); err != nil {
		t.Fatalf("reading %d tenants' counts: %v", tenants, err)
	}
	for i := range tenants {
		curr, _, err := two.Get("tenant-"+strconv.Itoa(i), w, prev)
		if err != nil || curr != i+1 {
			t.Errorf("tenant-%d on the other replica: got %d, %v; want %d", i, curr, err, i+1)
		}
	}
}
