package ratelimit_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/ratelimit"
)

func TestRedisStoreKeys(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	s := ratelimit.NewRedisStore(rdb, prefix, nil)
	const account = "acme/client?id={1}&x y"

	mustAdmit(t, s, account, 5, time.Minute)
	mustPause(t, s, account, 30*time.Second)

	keys := scanKeys(t.Context(), t, rdb, prefix)
	if len(keys) != 3 {
		t.Fatalf("got keys %q, want an admissions, a pause and an epoch key", keys)
	}
	tag := regexp.MustCompile(`\{[^}]*\}`)
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if got := tag.FindString(rest); got != "{acme%2Fclient%3Fid%3D%7B1%7D%26x+y}" {
			t.Errorf("key %q: got hash tag %q, want the escaped account", k, got)
		}
		if !strings.HasSuffix(k, ":admissions") && !strings.HasSuffix(k, ":pause") && !strings.HasSuffix(k, ":epoch") {
			t.Errorf("key %q: want it to end in :admissions, :pause or :epoch", k)
		}
	}

	for _, tc := range []struct {
		suffix string
		max    time.Duration
	}{{":admissions", time.Minute}, {":pause", 30 * time.Second}} {
		k := prefix + "{acme%2Fclient%3Fid%3D%7B1%7D%26x+y}" + tc.suffix
		ttl, err := rdb.PTTL(t.Context(), k).Result()
		if err != nil {
			t.Fatalf("PTTL %s: %v", k, err)
		}
		if ttl <= tc.max-5*time.Second || ttl > tc.max {
			t.Errorf("%s: got TTL %v, want just under %v", tc.suffix, ttl, tc.max)
		}
	}
}

func TestRedisStoreHashesLongAccountNames(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	s := ratelimit.NewRedisStore(rdb, prefix, nil)
	long := strings.Repeat("a", 200)

	mustAdmit(t, s, long, 1, time.Minute)
	if d := mustAdmit(t, s, long+"b", 1, time.Minute); !d.Admitted {
		t.Fatalf("an account differing only past the hashed length: got %+v, want admitted", d)
	}
	for _, k := range scanKeys(t.Context(), t, rdb, prefix) {
		if !strings.HasPrefix(k, prefix+"{sha256:") || len(k) > len(prefix)+100 {
			t.Errorf("got key %q, want a short key tagged with the name's digest", k)
		}
	}
}

func TestRedisStoreReplicasShareTheLimit(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	// Two clients and two stores: two replicas of the gateway.
	one := ratelimit.NewRedisStore(rdb, prefix, nil)
	two := ratelimit.NewRedisStore(newRedisClient(t), prefix, nil)
	testConcurrentAdmissions(t, []ratelimit.Store{one, two})
}

func TestRedisStoreReportsAnUnreachableRedis(t *testing.T) {
	s := ratelimit.NewRedisStore(unreachableRedis(t), "", nil)
	if _, err := s.Admit(t.Context(), "acme", 1, time.Minute); err == nil || !strings.HasPrefix(err.Error(), "ratelimit: redis admit: ") {
		t.Errorf("Admit: got %v, want an error naming the operation", err)
	}
	if _, err := s.Peek(t.Context(), "acme", 1, time.Minute); err == nil {
		t.Error("Peek: got no error, want one")
	}
	if err := s.Pause(t.Context(), "acme", time.Second); err == nil {
		t.Error("Pause: got no error, want one")
	}
}

func TestRedisStoreGivesUpWithTheCaller(t *testing.T) {
	rdb := newRedisClient(t)
	s := ratelimit.NewRedisStore(rdb, testPrefix(t, rdb), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Admit(ctx, "acme", 1, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
