package mirror

import (
	"context"
	"os"
	"testing"
	"time"

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
		return storeHarness{
			store: s,
			ttl:   redisLeaseTTL,
			afterTTL: func(t *testing.T, cond func() bool) {
				t.Helper()
				// As on a single server: wait one ttl of Redis's clock, then poll.
				time.Sleep(redisLeaseTTL)
				for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("the condition still does not hold 5 s after the lease ttl (%v)", redisLeaseTTL)
					}
				}
			},
			consistent: func(t *testing.T, account string) {
				t.Helper()
				// Every key of the account is on one slot: its master holds them all.
				master, err := rdb.MasterForKey(context.Background(), s.base(account))
				if err != nil {
					t.Fatalf("master of account %q: %v", account, err)
				}
				redisConsistent(t, master, s, account)
			},
		}
	})
}
