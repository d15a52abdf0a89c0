package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/idempotency"
)

func testOwnership(t *testing.T, newStore func(t *testing.T) storeHarness) {
	ctx := context.Background()
	const foreign = "0123456789abcdef0123456789abcdef"

	t.Run("every claim gets its own owner token", func(t *testing.T) {
		h := newStore(t)
		a := mustClaim(t, h.store, "a", "h", lease, keep)
		b := mustClaim(t, h.store, "b", "h", lease, keep)
		if a == b {
			t.Fatalf("got the owner token %q twice, want two", a)
		}
	})

	t.Run("a foreign token cannot complete a claim", func(t *testing.T) {
		h := newStore(t)
		mustClaim(t, h.store, "k", "h", lease, keep)
		if err := h.store.Complete(ctx, "k", foreign, sampleRecord("h"), keep); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Fatalf("Complete with a foreign token: got %v, want ErrNotOwner", err)
		}
		assertOutcome(t, mustBegin(t, h.store, "k", "h", lease, keep), idempotency.InFlight)
	})

	t.Run("a foreign token cannot release a claim", func(t *testing.T) {
		h := newStore(t)
		mustClaim(t, h.store, "k", "h", lease, keep)
		if err := h.store.Release(ctx, "k", foreign); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Fatalf("Release with a foreign token: got %v, want ErrNotOwner", err)
		}
		assertOutcome(t, mustBegin(t, h.store, "k", "h", lease, keep), idempotency.InFlight)
	})

	t.Run("a foreign token cannot replace or release a record", func(t *testing.T) {
		h := newStore(t)
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		mustComplete(t, h.store, "k", owner, sampleRecord("h"), keep)
		other := sampleRecord("h")
		other.Body = []byte(`{"forged":true}`)
		if err := h.store.Complete(ctx, "k", foreign, other, keep); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("Complete over a record with a foreign token: got %v, want ErrNotOwner", err)
		}
		if err := h.store.Release(ctx, "k", foreign); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("Release of a record with a foreign token: got %v, want ErrNotOwner", err)
		}
		assertRecord(t, mustBegin(t, h.store, "k", "h", lease, keep).Record, sampleRecord("h"))
	})

	t.Run("a malformed token matches nothing", func(t *testing.T) {
		h := newStore(t)
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		for _, bad := range []string{"", owner[:1], owner[:len(owner)-1], owner + "0"} {
			if err := h.store.Complete(ctx, "k", bad, sampleRecord("h"), keep); !errors.Is(err, idempotency.ErrNotOwner) {
				t.Errorf("Complete with %q: got %v, want ErrNotOwner", bad, err)
			}
			if err := h.store.Release(ctx, "k", bad); !errors.Is(err, idempotency.ErrNotOwner) {
				t.Errorf("Release with %q: got %v, want ErrNotOwner", bad, err)
			}
		}
		assertOutcome(t, mustBegin(t, h.store, "k", "h", lease, keep), idempotency.InFlight)
	})

	t.Run("completing again keeps the first record", func(t *testing.T) {
		h := newStore(t)
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		mustComplete(t, h.store, "k", owner, sampleRecord("h"), keep)
		second := sampleRecord("h")
		second.Body = []byte(`{"second":true}`)
		mustComplete(t, h.store, "k", owner, second, keep)
		assertRecord(t, mustBegin(t, h.store, "k", "h", lease, keep).Record, sampleRecord("h"))
	})

	t.Run("releasing a key that holds nothing does nothing", func(t *testing.T) {
		h := newStore(t)
		mustRelease(t, h.store, "k", foreign)
		mustClaim(t, h.store, "k", "h", lease, keep)
	})

	t.Run("an owner whose claim was lost still records its outcome", func(t *testing.T) {
		// A Redis restarted empty mid-request: the outcome is kept anyway.
		h := newStore(t)
		mustComplete(t, h.store, "k", foreign, sampleRecord("h"), keep)
		assertRecord(t, mustBegin(t, h.store, "k", "h", lease, keep).Record, sampleRecord("h"))
	})
}

func testLease(t *testing.T, newStore func(t *testing.T) storeHarness) {
	// abandon claims "k" with a short lease and waits it out.
	abandon := func(t *testing.T, h storeHarness) string {
		owner := mustClaim(t, h.store, "k", "h", shortLease, keep)
		h.elapse(shortLease)
		clocktest.Eventually(t, 3*time.Second, "lease ran out", func() bool {
			return mustBegin(t, h.store, "k", "h", lease, keep).Outcome != idempotency.InFlight
		})
		return owner
	}

	t.Run("a claim is in flight until its lease runs out", func(t *testing.T) {
		h := newStore(t)
		mustClaim(t, h.store, "k", "h", lease, keep)
		h.elapse(lease - time.Second)
		assertOutcome(t, mustBegin(t, h.store, "k", "h", lease, keep), idempotency.InFlight)
	})

	t.Run("a claim whose lease ran out is abandoned, never claimed again", func(t *testing.T) {
		h := newStore(t)
		abandon(t, h)
		for range 3 {
			assertOutcome(t, mustBegin(t, h.store, "k", "h", lease, keep), idempotency.Abandoned)
		}
	})

	t.Run("another body over an abandoned claim is a mismatch", func(t *testing.T) {
		h := newStore(t)
		abandon(t, h)
		assertOutcome(t, mustBegin(t, h.store, "k", "other", lease, keep), idempotency.Mismatch)
	})

	t.Run("a late owner still completes its claim, and the outcome replays", func(t *testing.T) {
		h := newStore(t)
		owner := abandon(t, h)
		mustComplete(t, h.store, "k", owner, sampleRecord("h"), keep)
		res := mustBegin(t, h.store, "k", "h", lease, keep)
		assertOutcome(t, res, idempotency.Replay)
		assertRecord(t, res.Record, sampleRecord("h"))
	})

	t.Run("an abandoned claim is gone once its keep has run out", func(t *testing.T) {
		h := newStore(t)
		mustClaim(t, h.store, "k", "h", shortLease, 2*shortLease)
		h.elapse(2 * shortLease)
		clocktest.Eventually(t, 3*time.Second, "claim expired", func() bool {
			return mustBegin(t, h.store, "k", "h", lease, keep).Outcome == idempotency.Claimed
		})
	})
}
