package mirror

import (
	"context"
	"os"
	"testing"
	"time"

	"switchboard/internal/redistest"
)

// TestRedisMemoryPer100kCalls measures what the mirror of 100,000
// sandbox-shaped calls costs Redis, by MEMORY USAGE (SAMPLES 0: every
// element counted) summed over the account's keys. It takes a while, so it
// runs only when asked:
//
//	SWITCHBOARD_MIRROR_MEMORY=1 go test -run TestRedisMemoryPer100kCalls -v ./internal/mirror/
func TestRedisMemoryPer100kCalls(t *testing.T) {
	if os.Getenv("SWITCHBOARD_MIRROR_MEMORY") == "" {
		t.Skip("set SWITCHBOARD_MIRROR_MEMORY=1 to measure")
	}
	const n = 100_000
	ctx := context.Background()
	calls := sandboxCalls(t, n)
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	start := time.Now()
	loadCalls(t, s, "acct", calls)
	took := time.Since(start)
	if got := mustCountCalls(t, s, "acct"); got != n {
		t.Fatalf("got %d calls held, want %d", got, n)
	}
	keys, err := redistest.Keys(ctx, rdb, s.base("acct"))
	if err != nil {
		t.Fatal(err)
	}
	var total, records, indexes int64
	for _, k := range keys {
		used, err := rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", k, err)
		}
		total += used
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			records += used
		case "zset":
			indexes += used
		}
	}
	var jsonBytes int
	for _, c := range calls {
		b, _ := canonicalRecord(c)
		jsonBytes += len(b)
	}
	t.Logf("%d calls in %d keys: %.1f MB (records %.1f MB, indexes %.1f MB), %d bytes a call; record JSON averages %d bytes; loaded in %v",
		n, len(keys), float64(total)/1e6, float64(records)/1e6, float64(indexes)/1e6, total/n, jsonBytes/n, took.Round(time.Millisecond))
}
