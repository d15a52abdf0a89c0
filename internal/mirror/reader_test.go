package mirror

import (
	"context"
	"errors"
	"testing"
	"time"
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
		for {
			seq, err := store.Requested(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if seq > 0 {
				if err := store.MarkFollowed(ctx, "acme", fence, seq); err != nil {
					t.Fatal(err)
				}
				break
			}
			time.Sleep(time.Millisecond) // the request is made by the goroutine above
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
