package redisconn_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/clocktest"
	"switchboard/internal/redisconn"
	"switchboard/internal/redistest"
)

func TestAClusterClientFindsAKilledMastersReplica(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb, err := redisconn.Open(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx := context.Background()
	const key = "sbtest:{failover}:k"
	if err := rdb.Set(ctx, key, "kept", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	master := redis.NewClient(&redis.Options{Addr: c.MasterOf(t, key)})
	defer master.Close()
	if n, err := master.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}

	c.KillMaster(t, key)
	// A killed master sends no MOVED: the client must reload its slot map
	// on its own, well before go-redis's default minute.
	clocktest.Eventually(t, 10*time.Second, "the key read from the promoted replica", func() bool {
		got, err := rdb.Get(ctx, key).Result()
		return err == nil && got == "kept"
	})
}
