package mirror

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

// redisLeaseTTL is short enough for a real expiry to keep the suite fast,
// long enough that a loaded machine does not see it expire between two
// consecutive calls of a test.
const redisLeaseTTL = 300 * time.Millisecond

func TestRedisStore(t *testing.T) {
	testStoreSuite(t, func(t *testing.T) storeHarness {
		rdb, prefix := redistest.Open(t)
		s := NewRedisStore(rdb, prefix)
		return redisHarness(s, func(t *testing.T, account string) { redisConsistent(t, rdb, s, account) })
	})
}

// redisHarness is the harness of a RedisStore, on one server or a
// cluster; consistent checks an account's keys where they live.
func redisHarness(s *RedisStore, consistent func(t *testing.T, account string)) storeHarness {
	return storeHarness{
		store: s,
		ttl:   redisLeaseTTL,
		afterTTL: func(t *testing.T, cond func() bool) {
			t.Helper()
			// The lease expires on Redis's clock, which a test cannot
			// move: waiting one ttl is itself the condition; then poll.
			time.Sleep(redisLeaseTTL)
			for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the condition still does not hold 5 s after the lease ttl (%v)", redisLeaseTTL)
				}
			}
		},
		consistent: consistent,
	}
}

// redisConsistent checks that every entry of account's sorted sets names a
// held call whose envelope files it under that set, and that the time index
// holds every call.
func redisConsistent(t *testing.T, rdb *redis.Client, s *RedisStore, account string) {
	t.Helper()
	ctx := context.Background()
	base := s.base(account)
	keys, err := redistest.Keys(ctx, rdb, base)
	if err != nil {
		t.Fatalf("listing keys: %v", err)
	}
	envelopes, err := rdb.HGetAll(ctx, base+"calls").Result()
	if err != nil {
		t.Fatalf("HGETALL calls: %v", err)
	}
	wantEntries, entries := 0, 0
	for _, env := range envelopes {
		h, _, err := openEnvelope(env)
		if err != nil {
			t.Fatalf("envelope %q: %v", env, err)
		}
		wantEntries++ // the time index
		for _, suffix := range h[1:] {
			if suffix != "" {
				wantEntries++
			}
		}
	}
	for _, key := range keys {
		suffix := strings.TrimPrefix(key, base)
		var field int // the envelope field naming this index: 0 for the time index
		switch {
		case strings.HasPrefix(suffix, "co:"):
			field = 1
		case strings.HasPrefix(suffix, "ca:"):
			field = 2
		case suffix != "t":
			continue
		}
		members, err := rdb.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatalf("ZRANGE %s: %v", key, err)
		}
		for _, m := range members {
			entries++
			env, ok := envelopes[idOfMember(m)]
			h, _, _ := openEnvelope(env)
			if !ok || h[0] != m || (field > 0 && h[field] != suffix) {
				t.Errorf("index %s entry %q names no call filed under it", suffix, m)
			}
		}
	}
	if entries != wantEntries {
		t.Errorf("indexes hold %d entries, want %d for %d calls", entries, wantEntries, len(envelopes))
	}
}

func TestRedisStoreKeepsAnAccountOnOneSlot(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	for _, account := range []string{"acct", "{acct}", "a}b{c", "a:b\x00"} {
		fence := holdLease(t, storeHarness{store: s}, account)
		mustUpsertCalls(t, s, account, fence, suiteHistory())
		if err := s.SaveState(ctx, account, fence, State{SyncedAt: histNow}); err != nil {
			t.Fatalf("SaveState: %v", err)
		}
		if _, err := s.RequestFollow(ctx, account); err != nil {
			t.Fatalf("RequestFollow: %v", err)
		}
		if err := s.MarkFollowed(ctx, account, fence, 1); err != nil {
			t.Fatalf("MarkFollowed: %v", err)
		}
		keys, err := redistest.Keys(ctx, rdb, s.base(account))
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) < 10 {
			t.Fatalf("account %q: got %d keys %q, want the calls, indexes, state, lease and counters", account, len(keys), keys)
		}
		tags, slots := map[string]bool{}, map[uint16]bool{}
		for _, k := range keys {
			tags[clusterHashTag(k)] = true
			slots[clusterSlot(k)] = true
		}
		if len(tags) != 1 || len(slots) != 1 {
			t.Errorf("account %q: keys fall under hash tags %v, slots %v; want one of each", account, tags, slots)
		}
		for tag := range tags {
			if !strings.HasPrefix(tag, "m:") || strings.Contains(tag, account) {
				t.Errorf("account %q: hash tag %q, want m:<hex> without the account's name", account, tag)
			}
		}
	}
}

func TestClusterSlotMatchesRedis(t *testing.T) {
	// Values of CLUSTER KEYSLOT from the Redis Cluster specification.
	for key, want := range map[string]uint16{"foo": 12182, "somekey": 11058, "{user1000}.following": 3443, "{user1000}.followers": 3443} {
		if got := clusterSlot(key); got != want {
			t.Errorf("clusterSlot(%q) = %d, want %d", key, got, want)
		}
	}
}

// clusterHashTag returns what Redis Cluster hashes of key: the text between the
// first '{' and the first '}' after it when not empty, else the whole key.
func clusterHashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// clusterSlot is Redis Cluster's slot of key: CRC16 (XMODEM) of its hash
// tag, mod 16384.
func clusterSlot(key string) uint16 {
	var crc uint16
	for _, b := range []byte(clusterHashTag(key)) {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}
