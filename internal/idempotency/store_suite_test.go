package idempotency_test

import (
	"bytes"
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/idempotency"
)

// storeHarness is one Store under test and a way to let time pass for it:
// the memory store's clock is advanced; Redis keeps its own time, so its
// elapse does nothing and the tests poll with short lifetimes.
type storeHarness struct {
	store  idempotency.Store
	elapse func(d time.Duration)
}

const (
	lease = time.Minute
	keep  = 24 * time.Hour
	// shortLease is short enough for a real Redis to outlive it quickly.
	shortLease = 60 * time.Millisecond
)

// testStore is the conformance suite every Store passes. newStore must
// return an empty store.
func testStore(t *testing.T, newStore func(t *testing.T) storeHarness) {
	t.Helper()
	t.Run("outcomes", func(t *testing.T) { testOutcomes(t, newStore) })
	t.Run("ownership", func(t *testing.T) { testOwnership(t, newStore) })
	t.Run("lease", func(t *testing.T) { testLease(t, newStore) })
	t.Run("expiry", func(t *testing.T) { testExpiry(t, newStore) })
	t.Run("completion retry", func(t *testing.T) { testCompletionRetry(t, newStore) })
	t.Run("concurrency", func(t *testing.T) { testConcurrency(t, newStore) })
}

func sampleRecord(bodyHash string) idempotency.Record {
	return idempotency.Record{
		BodyHash:  bodyHash,
		Status:    202,
		Header:    map[string]string{"Content-Type": "application/json", "Location": "/v1/calls/1"},
		Body:      []byte(`{"source":"callwidget"}`),
		CreatedAt: time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC),
	}
}

func mustBegin(t *testing.T, s idempotency.Store, key, bodyHash string, lease, keep time.Duration) idempotency.BeginResult {
	t.Helper()
	res, err := s.Begin(context.Background(), key, bodyHash, lease, keep)
	if err != nil {
		t.Fatalf("Begin(%q, %q): %v", key, bodyHash, err)
	}
	return res
}

// mustClaim begins a free key and returns its owner token.
func mustClaim(t *testing.T, s idempotency.Store, key, bodyHash string, lease, keep time.Duration) string {
	t.Helper()
	res := mustBegin(t, s, key, bodyHash, lease, keep)
	assertOutcome(t, res, idempotency.Claimed)
	if res.Owner == "" {
		t.Fatal("got a claim without an owner token")
	}
	return res.Owner
}

func assertOutcome(t *testing.T, res idempotency.BeginResult, want idempotency.Outcome) {
	t.Helper()
	if res.Outcome != want {
		t.Fatalf("got outcome %v, want %v", res.Outcome, want)
	}
}

func mustComplete(t *testing.T, s idempotency.Store, key, owner string, rec idempotency.Record, keep time.Duration) {
	t.Helper()
	if err := s.Complete(context.Background(), key, owner, rec, keep); err != nil {
		t.Fatalf("Complete(%q): %v", key, err)
	}
}

func mustRelease(t *testing.T, s idempotency.Store, key, owner string) {
	t.Helper()
	if err := s.Release(context.Background(), key, owner); err != nil {
		t.Fatalf("Release(%q): %v", key, err)
	}
}

func assertRecord(t *testing.T, got, want idempotency.Record) {
	t.Helper()
	if got.BodyHash != want.BodyHash || got.Status != want.Status || !bytes.Equal(got.Body, want.Body) ||
		!maps.Equal(got.Header, want.Header) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("got record %+v, want %+v", got, want)
	}
}

func testOutcomes(t *testing.T, newStore func(t *testing.T) storeHarness) {
	// Each case starts from a store where the key "k" is in the given
	// state, then begins with body hash "h" or "other".
	type state int
	const (
		free state = iota
		inFlight
		completed
		released
		releasedAfterCompletion
	)
	prepare := func(t *testing.T, s idempotency.Store, st state) {
		if st == free {
			return
		}
		owner := mustClaim(t, s, "k", "h", lease, keep)
		switch st {
		case completed:
			mustComplete(t, s, "k", owner, sampleRecord("h"), keep)
		case released:
			mustRelease(t, s, "k", owner)
		case releasedAfterCompletion:
			mustComplete(t, s, "k", owner, sampleRecord("h"), keep)
			mustRelease(t, s, "k", owner)
		}
	}
	for _, tc := range []struct {
		name     string
		state    state
		bodyHash string
		want     idempotency.Outcome
	}{
		{"a free key is claimed", free, "h", idempotency.Claimed},
		{"the same body while the first is in flight is in flight", inFlight, "h", idempotency.InFlight},
		{"another body while the first is in flight is a mismatch", inFlight, "other", idempotency.Mismatch},
		{"the same body after completion replays the record", completed, "h", idempotency.Replay},
		{"another body after completion is a mismatch", completed, "other", idempotency.Mismatch},
		{"a released key is claimed again", released, "other", idempotency.Claimed},
		{"release leaves a completed record to replay", releasedAfterCompletion, "h", idempotency.Replay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStore(t)
			prepare(t, h.store, tc.state)
			res := mustBegin(t, h.store, "k", tc.bodyHash, lease, keep)
			assertOutcome(t, res, tc.want)
			if tc.want == idempotency.Replay {
				assertRecord(t, res.Record, sampleRecord("h"))
			}
		})
	}

	t.Run("completion stamps a record without a creation time", func(t *testing.T) {
		h := newStore(t)
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		rec := sampleRecord("h")
		rec.CreatedAt = time.Time{}
		mustComplete(t, h.store, "k", owner, rec, keep)
		if res := mustBegin(t, h.store, "k", "h", lease, keep); res.Record.CreatedAt.IsZero() {
			t.Fatal("got a zero CreatedAt, want the completion time")
		}
	})

	t.Run("keys of different tenants are independent", func(t *testing.T) {
		h := newStore(t)
		mustClaim(t, h.store, idempotency.TenantKey("acme", "k"), "h", lease, keep)
		mustClaim(t, h.store, idempotency.TenantKey("globex", "k"), "other", lease, keep)
	})

	t.Run("bad lifetimes are refused", func(t *testing.T) {
		h := newStore(t)
		ctx := context.Background()
		if _, err := h.store.Begin(ctx, "k", "h", 0, keep); err == nil {
			t.Error("Begin(lease=0): got nil error, want one")
		}
		if _, err := h.store.Begin(ctx, "k", "h", time.Hour, time.Minute); err == nil {
			t.Error("Begin(lease > keep): got nil error, want one")
		}
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		if err := h.store.Complete(ctx, "k", owner, sampleRecord("h"), 0); err == nil {
			t.Error("Complete(keep=0): got nil error, want one")
		}
	})
}

func testExpiry(t *testing.T, newStore func(t *testing.T) storeHarness) {
	t.Run("a completed record is gone once its keep has run out", func(t *testing.T) {
		h := newStore(t)
		owner := mustClaim(t, h.store, "k", "h", lease, keep)
		mustComplete(t, h.store, "k", owner, sampleRecord("h"), shortLease)
		h.elapse(shortLease)
		clocktest.Eventually(t, 3*time.Second, "record expired", func() bool {
			return mustBegin(t, h.store, "k", "other", lease, keep).Outcome == idempotency.Claimed
		})
	})
}

func testConcurrency(t *testing.T, newStore func(t *testing.T) storeHarness) {
	t.Run("twenty concurrent begins of a free key make exactly one claim", func(t *testing.T) {
		h := newStore(t)
		var mu sync.Mutex
		got := map[idempotency.Outcome]int{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				res, err := h.store.Begin(context.Background(), "k", "h", lease, keep)
				if err != nil {
					t.Errorf("Begin: %v", err)
					return
				}
				mu.Lock()
				got[res.Outcome]++
				mu.Unlock()
			})
		}
		wg.Wait()
		want := map[idempotency.Outcome]int{idempotency.Claimed: 1, idempotency.InFlight: 19}
		if !maps.Equal(got, want) {
			t.Fatalf("got outcomes %v, want %v", got, want)
		}
	})
}
