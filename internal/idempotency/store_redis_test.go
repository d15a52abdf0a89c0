package idempotency_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
	"switchboard/internal/idempotency"
	"switchboard/internal/redistest"
	"switchboard/internal/storehealth"
)

func TestRedisStore(t *testing.T) {
	testStore(t, func(t *testing.T) storeHarness {
		rdb, prefix := redistest.Open(t)
		return storeHarness{store: idempotency.NewRedis(rdb, prefix, nil), elapse: func(time.Duration) {}}
	})
}

func TestRedisStoreStorage(t *testing.T) {
	ctx := context.Background()

	t.Run("the raw key never appears in Redis", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		s := idempotency.NewRedis(rdb, prefix, nil)
		mustClaim(t, s, idempotency.TenantKey("acme", "order-4711"), "h", time.Minute, time.Hour)
		keys := redisKeys(t, rdb, prefix)
		if len(keys) != 1 {
			t.Fatalf("got keys %q, want exactly one", keys)
		}
		if rest := strings.TrimPrefix(keys[0], prefix); strings.Contains(rest, "acme") || strings.Contains(rest, "4711") {
			t.Fatalf("got key %q, want no trace of the raw key", keys[0])
		}
	})

	t.Run("keys are where earlier releases put them, and their values are refused, never claimed over", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		s := idempotency.NewRedis(rdb, prefix, nil)
		want := prefix + cache.Key("idempotency", "acme\x00k")
		// An earlier release's claim ("I" + body hash) and record ("C" +
		// binary record, version 1).
		for _, legacy := range []string{"I" + strings.Repeat("ab", 32), "C\x01\x04hash\xca\x01"} {
			rdb.Set(ctx, want, legacy, time.Minute)
			if res, err := s.Begin(ctx, idempotency.TenantKey("acme", "k"), strings.Repeat("ab", 32), time.Minute, time.Hour); err == nil {
				t.Errorf("Begin over the earlier value %q: got %v, want an error", legacy, res.Outcome)
			}
		}
		if keys := redisKeys(t, rdb, prefix); len(keys) != 1 || keys[0] != want {
			t.Fatalf("got keys %q, want only %q", keys, want)
		}
	})

	t.Run("a claim is kept for its keep, beyond its lease", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		s := idempotency.NewRedis(rdb, prefix, nil)
		mustClaim(t, s, "k", "h", time.Minute, 90*time.Second)
		ttl, err := rdb.PTTL(ctx, redisKeys(t, rdb, prefix)[0]).Result()
		if err != nil || ttl <= 80*time.Second || ttl > 90*time.Second {
			t.Fatalf("got PTTL %v, %v; want just under 90s", ttl, err)
		}
	})

	t.Run("an unreadable value is an error, not a replay or a claim", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		s := idempotency.NewRedis(rdb, prefix, nil)
		mustClaim(t, s, "k", "h", time.Minute, time.Hour)
		stored := redisKeys(t, rdb, prefix)[0]
		owner := strings.Repeat("a", 32)
		for _, junk := range []string{"C", "C" + owner + "{", "C" + owner + `{"v":9,"s":200}`, "I" + owner + "soon|h", "X-unknown" + owner} {
			rdb.Set(ctx, stored, junk, time.Minute)
			if res, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour); err == nil {
				t.Errorf("Begin over %q: got %v, want an error", junk, res.Outcome)
			}
		}
	})

	t.Run("a store without a client fails instead of panicking", func(t *testing.T) {
		s := idempotency.NewRedis(nil, "", nil)
		owner := strings.Repeat("a", 32)
		if _, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour); err == nil {
			t.Error("Begin: got nil error, want one")
		}
		if err := s.Complete(ctx, "k", owner, sampleRecord("h"), time.Minute); err == nil {
			t.Error("Complete: got nil error, want one")
		}
		if err := s.Release(ctx, "k", owner); err == nil {
			t.Error("Release: got nil error, want one")
		}
	})

	t.Run("an unreachable Redis is an error, not a claim", func(t *testing.T) {
		s := idempotency.NewRedis(closedRedis(t), "", nil)
		if res, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour); err == nil {
			t.Fatalf("Begin: got %v, want an error", res.Outcome)
		}
	})
}

func TestRedisStoreFollowsTheStoreHealth(t *testing.T) {
	ctx := context.Background()
	newHealth := func(t *testing.T) *storehealth.Health {
		clock := clocktest.New()
		h, err := storehealth.New(storehealth.Config{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	t.Run("while Redis cools down, Begin fails at once and claims nothing", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		health := newHealth(t)
		s := idempotency.NewRedis(rdb, prefix, health)
		health.Failed()
		if res, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour); !errors.Is(err, storehealth.ErrDown) {
			t.Fatalf("Begin: got %v, %v; want ErrDown", res.Outcome, err)
		}
		if keys := redisKeys(t, rdb, prefix); len(keys) != 0 {
			t.Fatalf("got keys %q, want none", keys)
		}
	})

	t.Run("while Redis cools down, the owner still completes and releases", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		health := newHealth(t)
		s := idempotency.NewRedis(rdb, prefix, health)
		done := mustClaim(t, s, "done", "h", time.Minute, time.Hour)
		freed := mustClaim(t, s, "freed", "h", time.Minute, time.Hour)
		health.Failed()
		mustComplete(t, s, "done", done, sampleRecord("h"), time.Hour)
		mustRelease(t, s, "freed", freed)
		if !health.Up() {
			t.Error("health: got down after calls that worked, want up")
		}
		plain := idempotency.NewRedis(rdb, prefix, nil)
		assertOutcome(t, mustBegin(t, plain, "done", "h", time.Minute, time.Hour), idempotency.Replay)
		assertOutcome(t, mustBegin(t, plain, "freed", "h", time.Minute, time.Hour), idempotency.Claimed)
	})

	t.Run("a Begin that fails starts the cooldown", func(t *testing.T) {
		health := newHealth(t)
		s := idempotency.NewRedis(closedRedis(t), "", health)
		if _, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour); err == nil {
			t.Fatal("Begin: got nil error, want one")
		}
		if health.Up() {
			t.Fatal("health: got up after a refused connection, want down")
		}
	})
}

// replyHook plays the network between the store and a real Redis: once
// armed, the next script command runs on Redis and then either loses its
// answer (lose) or is sent a second time, as a client retrying after a lost
// answer would.
type replyHook struct {
	armed atomic.Bool
	lose  bool
}

func (h *replyHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *replyHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *replyHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil || (cmd.Name() != "evalsha" && cmd.Name() != "eval") || !h.armed.CompareAndSwap(true, false) {
			return err
		}
		if h.lose {
			cmd.SetErr(io.ErrUnexpectedEOF)
			return io.ErrUnexpectedEOF
		}
		return next(ctx, cmd)
	}
}

func TestRedisBeginLeavesNoClaimBehindWhenItsAnswerIsLost(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		lose       bool
		wantErr    bool
		wantClaim  bool
		wantOthers idempotency.Outcome
	}{
		{"a Begin whose answer was lost fails and leaves the key free", true, true, false, idempotency.Claimed},
		{"a Begin sent twice finds its own claim and holds it", false, false, true, idempotency.InFlight},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, prefix := redistest.Open(t)
			hook := &replyHook{lose: tc.lose}
			rdb.AddHook(hook)
			s := idempotency.NewRedis(rdb, prefix, nil)
			mustClaim(t, s, "warm", "h", time.Minute, time.Hour) // loads the script
			hook.armed.Store(true)
			res, err := s.Begin(ctx, "k", "h", time.Minute, time.Hour)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Begin: got %v, %v; want error %v", res.Outcome, err, tc.wantErr)
			}
			if tc.wantClaim && (res.Outcome != idempotency.Claimed || res.Owner == "") {
				t.Fatalf("Begin: got %v with owner %q, want the claim with its owner", res.Outcome, res.Owner)
			}
			assertOutcome(t, mustBegin(t, s, "k", "h", time.Minute, time.Hour), tc.wantOthers)
		})
	}
}
