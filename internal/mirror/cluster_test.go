package mirror

import (
	"context"
	"os"
	"testing"

	"switchboard/internal/redistest"
)

// TestMain stops the Redis Cluster the cluster variants share.
func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestRedisStoreOnCluster(t *testing.T) {
	testStoreSuite(t, func(t *testing.T) storeHarness {
		rdb, prefix := redistest.Cluster(t)
		s := NewRedisStore(rdb, prefix)
		return redisHarness(s, func(t *testing.T, account string) {
			t.Helper()
			// Every key of the account is on one slot: its master holds them all.
			master, err := rdb.MasterForKey(context.Background(), s.base(account))
			if err != nil {
				t.Fatalf("master of account %q: %v", account, err)
			}
			redisConsistent(t, master, s, account)
		})
	})
}
