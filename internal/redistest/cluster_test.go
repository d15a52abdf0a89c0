package redistest_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

func TestMain(m *testing.M) {
	os.Exit(redistest.Main(m))
}

func TestClusterServesKeysOfEverySlot(t *testing.T) {
	rdb, prefix := redistest.Cluster(t)
	ctx := context.Background()
	masters := map[string]bool{}
	for i := range 50 {
		k := prefix + strconv.Itoa(i)
		if err := rdb.Set(ctx, k, i, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		m, err := rdb.MasterForKey(ctx, k)
		if err != nil {
			t.Fatalf("master of %s: %v", k, err)
		}
		masters[m.Options().Addr] = true
	}
	if len(masters) != 3 {
		t.Errorf("50 keys landed on %d masters, want 3", len(masters))
	}
	keys, err := redistest.ClusterKeys(ctx, rdb, prefix)
	if err != nil || len(keys) != 50 {
		t.Fatalf("ClusterKeys = %d keys, %v; want 50", len(keys), err)
	}
}

func TestClusterGivesEachTestItsOwnPrefix(t *testing.T) {
	_, a := redistest.Cluster(t)
	_, b := redistest.Cluster(t)
	if a == b {
		t.Fatalf("two prefixes are both %q", a)
	}
}

func TestClusterFailsOver(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb, prefix := c.Client(t)
	ctx := context.Background()
	key := prefix + "{acct}:n"
	if err := rdb.Set(ctx, key, "before", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	// The replica has the write before the master goes.
	waitReplicated(t, c.MasterOf(t, key))

	old := c.MasterOf(t, key)
	c.FailoverGraceful(t, key)
	if now := c.MasterOf(t, key); now == old {
		t.Fatalf("the master of %s is still %s after CLUSTER FAILOVER", key, old)
	}
	if got, err := rdb.Get(ctx, key).Result(); err != nil || got != "before" {
		t.Fatalf("after the failover GET = %q, %v", got, err)
	}
	if err := rdb.Set(ctx, key, "between", 0).Err(); err != nil {
		t.Fatalf("SET after the failover: %v", err)
	}
	waitReplicated(t, c.MasterOf(t, key))

	killed := c.MasterOf(t, key)
	promoted := c.KillMaster(t, key)
	if promoted == killed {
		t.Fatalf("KillMaster reports the killed %s as the new master", killed)
	}
	if got := c.MasterOf(t, key); got != promoted {
		t.Fatalf("the master of %s is %s, KillMaster said %s", key, got, promoted)
	}
	if len(c.Addrs()) != 5 {
		t.Fatalf("%d nodes running after a kill, want 5", len(c.Addrs()))
	}
	// A fresh client: one that knew the killed master keeps dialing it
	// until its next topology refresh.
	fresh, _ := c.Client(t)
	if got, err := fresh.Get(ctx, key).Result(); err != nil || got != "between" {
		t.Fatalf("after the kill GET = %q, %v", got, err)
	}
}

// waitReplicated waits until the replica of the master at addr has every
// write the master took.
func waitReplicated(t *testing.T, addr string) {
	t.Helper()
	m := redis.NewClient(&redis.Options{Addr: addr})
	defer m.Close()
	if n, err := m.Wait(context.Background(), 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 on %s = %d, %v", addr, n, err)
	}
}
