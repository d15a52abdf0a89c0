package mirror

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/clocktest"
	"switchboard/internal/storehealth"
)

func TestReaderFollowWaitsForAFollowThatServesItsRequest(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore(nil)
	fence, ok, err := store.Acquire(ctx, "acme", "replica-a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	r := &Reader{Store: store, Follows: store, Account: "acme", Poll: time.Millisecond}

	t.Run("it returns once a follow served its request", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- r.Follow(ctx) }()
		// Play the syncer: serve whatever has been requested, once the
		// request is visible.
		var seq int64
		clocktest.Eventually(t, 5*time.Second, "the follow request is recorded", func() bool {
			seq, _ = store.Requested(ctx, "acme")
			return seq > 0
		})
		if err := store.MarkFollowed(ctx, "acme", fence, seq); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Follow did not return after its request was served")
		}
	})
	t.Run("a follow that served only older requests does not end the wait", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		// Followed is at the previous request; this one is newer and
		// nobody serves it.
		if err := r.Follow(wctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the context's deadline", err)
		}
	})
	t.Run("reads are bound to the reader's account", func(t *testing.T) {
		other := &Reader{Store: store, Follows: store, Account: "beta"}
		if n, err := other.Count(ctx); err != nil || n != 0 {
			t.Fatalf("beta's count: got %d, %v, want 0", n, err)
		}
		if seq, _ := store.Requested(ctx, "beta"); seq != 0 {
			t.Fatalf("beta's follow requests: got %d, want 0", seq)
		}
	})
}

func TestReaderReadsAreRefusedAtOnceWhileRedisCoolsDown(t *testing.T) {
	ctx := context.Background()
	// A real client to a port where nothing listens: every call fails.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	h, err := storehealth.New(storehealth.Config{Cooldown: time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store := NewRedisStore(rdb, "")
	r := &Reader{Store: store, Follows: store, Account: "acme", Health: h}

	if _, err := r.State(ctx); err == nil || errors.Is(err, storehealth.ErrDown) {
		t.Fatalf("first read: got %v, want Redis's own failure", err)
	}
	for _, read := range []struct {
		name string
		call func() error
	}{
		{"State", func() error { _, err := r.State(ctx); return err }},
		{"Query", func() error { _, err := r.Query(ctx, Query{Limit: 10}); return err }},
		{"Get", func() error { _, _, err := r.Get(ctx, "1"); return err }},
		{"Count", func() error { _, err := r.Count(ctx); return err }},
		{"Follow", func() error { return r.Follow(ctx) }},
	} {
		t.Run(read.name+" is refused without a round trip during the cooldown", func(t *testing.T) {
			if err := read.call(); !errors.Is(err, storehealth.ErrDown) {
				t.Fatalf("got %v, want storehealth.ErrDown", err)
			}
		})
	}
}
