package cache_test

import (
	"bytes"
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"switchboard/internal/cache"
)

// idempotencyHarness is one IdempotencyStore under test and a way to let
// time pass for it (see backendHarness).
type idempotencyHarness struct {
	store  cache.IdempotencyStore
	elapse func(d time.Duration)
}

const (
	inflightTTL = time.Minute
	recordKeep  = 24 * time.Hour
)

// testIdempotency is the conformance suite every IdempotencyStore passes.
// newStore must return an empty store.
func testIdempotency(t *testing.T, newStore func(t *testing.T) idempotencyHarness) {
	t.Helper()
	t.Run("outcomes", func(t *testing.T) { testIdempotencyOutcomes(t, newStore) })
	t.Run("expiry", func(t *testing.T) { testIdempotencyExpiry(t, newStore) })
	t.Run("concurrency", func(t *testing.T) { testIdempotencyConcurrency(t, newStore) })
}

func sampleRecord(bodyHash string) cache.Record {
	return cache.Record{
		BodyHash:  bodyHash,
		Status:    202,
		Header:    map[string]string{"Content-Type": "application/json", "Location": "/v1/calls/1"},
		Body:      []byte(`{"source":"callwidget"}`),
		CreatedAt: time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC),
	}
}

func mustBegin(t *testing.T, s cache.IdempotencyStore, key, bodyHash string, ttl time.Duration) cache.BeginResult {
	t.Helper()
	res, err := s.Begin(context.Background(), key, bodyHash, ttl)
	if err != nil {
		t.Fatalf("Begin(%q, %q): %v", key, bodyHash, err)
	}
	return res
}

func assertOutcome(t *testing.T, res cache.BeginResult, want cache.BeginOutcome) {
	t.Helper()
	if res.Outcome != want {
		t.Fatalf("got outcome %v, want %v", res.Outcome, want)
	}
}

func mustComplete(t *testing.T, s cache.IdempotencyStore, key string, rec cache.Record, keep time.Duration) {
	t.Helper()
	if err := s.Complete(context.Background(), key, rec, keep); err != nil {
		t.Fatalf("Complete(%q): %v", key, err)
	}
}

func mustRelease(t *testing.T, s cache.IdempotencyStore, key string) {
	t.Helper()
	if err := s.Release(context.Background(), key); err != nil {
		t.Fatalf("Release(%q): %v", key, err)
	}
}

func assertRecord(t *testing.T, got, want cache.Record) {
	t.Helper()
	if got.BodyHash != want.BodyHash || got.Status != want.Status || !bytes.Equal(got.Body, want.Body) ||
		!maps.Equal(got.Header, want.Header) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("got record %+v, want %+v", got, want)
	}
}

func testIdempotencyOutcomes(t *testing.T, newStore func(t *testing.T) idempotencyHarness) {
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
	prepare := func(t *testing.T, s cache.IdempotencyStore, st state) {
		switch st {
		case inFlight:
			assertOutcome(t, mustBegin(t, s, "k", "h", inflightTTL), cache.BeginClaimed)
		case completed:
			assertOutcome(t, mustBegin(t, s, "k", "h", inflightTTL), cache.BeginClaimed)
			mustComplete(t, s, "k", sampleRecord("h"), recordKeep)
		case released:
			assertOutcome(t, mustBegin(t, s, "k", "h", inflightTTL), cache.BeginClaimed)
			mustRelease(t, s, "k")
		case releasedAfterCompletion:
			assertOutcome(t, mustBegin(t, s, "k", "h", inflightTTL), cache.BeginClaimed)
			mustComplete(t, s, "k", sampleRecord("h"), recordKeep)
			mustRelease(t, s, "k")
		}
	}
	for _, tc := range []struct {
		name     string
		state    state
		bodyHash string
		want     cache.BeginOutcome
	}{
		{"a free key is claimed", free, "h", cache.BeginClaimed},
		{"the same body while the first is in flight is in flight", inFlight, "h", cache.BeginInFlight},
		{"another body while the first is in flight is a mismatch", inFlight, "other", cache.BeginMismatch},
		{"the same body after completion replays the record", completed, "h", cache.BeginReplay},
		{"another body after completion is a mismatch", completed, "other", cache.BeginMismatch},
		{"a released key is claimed again", released, "other", cache.BeginClaimed},
		{"release leaves a completed record to replay", releasedAfterCompletion, "h", cache.BeginReplay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStore(t)
			prepare(t, h.store, tc.state)
			res := mustBegin(t, h.store, "k", tc.bodyHash, inflightTTL)
			assertOutcome(t, res, tc.want)
			if tc.want == cache.BeginReplay {
				assertRecord(t, res.Record, sampleRecord("h"))
			}
		})
	}

	t.Run("a second completion keeps the first record", func(t *testing.T) {
		h := newStore(t)
		mustBegin(t, h.store, "k", "h", inflightTTL)
		mustComplete(t, h.store, "k", sampleRecord("h"), recordKeep)
		second := sampleRecord("h")
		second.Body = []byte(`{"second":true}`)
		mustComplete(t, h.store, "k", second, recordKeep)
		res := mustBegin(t, h.store, "k", "h", inflightTTL)
		assertOutcome(t, res, cache.BeginReplay)
		assertRecord(t, res.Record, sampleRecord("h"))
	})

	t.Run("completion stamps a record without a creation time", func(t *testing.T) {
		h := newStore(t)
		mustBegin(t, h.store, "k", "h", inflightTTL)
		rec := sampleRecord("h")
		rec.CreatedAt = time.Time{}
		mustComplete(t, h.store, "k", rec, recordKeep)
		res := mustBegin(t, h.store, "k", "h", inflightTTL)
		if res.Record.CreatedAt.IsZero() {
			t.Fatal("got a zero CreatedAt, want the completion time")
		}
	})

	t.Run("keys of different tenants are independent", func(t *testing.T) {
		h := newStore(t)
		assertOutcome(t, mustBegin(t, h.store, "acme\x00k", "h", inflightTTL), cache.BeginClaimed)
		assertOutcome(t, mustBegin(t, h.store, "globex\x00k", "other", inflightTTL), cache.BeginClaimed)
	})

	t.Run("non-positive lifetimes are refused", func(t *testing.T) {
		h := newStore(t)
		ctx := context.Background()
		if _, err := h.store.Begin(ctx, "k", "h", 0); err == nil {
			t.Error("Begin(inflightTTL=0): got nil error, want one")
		}
		if err := h.store.Complete(ctx, "k", sampleRecord("h"), 0); err == nil {
			t.Error("Complete(keep=0): got nil error, want one")
		}
	})
}

func testIdempotencyExpiry(t *testing.T, newStore func(t *testing.T) idempotencyHarness) {
	t.Run("a claim is kept until its ttl runs out", func(t *testing.T) {
		h := newStore(t)
		mustBegin(t, h.store, "k", "h", inflightTTL)
		h.elapse(inflightTTL - time.Second)
		assertOutcome(t, mustBegin(t, h.store, "k", "h", inflightTTL), cache.BeginInFlight)
	})

	t.Run("a claim whose ttl ran out frees the key", func(t *testing.T) {
		h := newStore(t)
		mustBegin(t, h.store, "k", "h", shortTTL)
		h.elapse(shortTTL)
		eventually(t, "claim expired", func() bool {
			return mustBegin(t, h.store, "k", "h", inflightTTL).Outcome == cache.BeginClaimed
		})
	})

	t.Run("a completed record is gone once keep has run out", func(t *testing.T) {
		h := newStore(t)
		mustBegin(t, h.store, "k", "h", inflightTTL)
		mustComplete(t, h.store, "k", sampleRecord("h"), shortTTL)
		h.elapse(shortTTL)
		eventually(t, "record expired", func() bool {
			return mustBegin(t, h.store, "k", "other", inflightTTL).Outcome == cache.BeginClaimed
		})
	})
}

func testIdempotencyConcurrency(t *testing.T, newStore func(t *testing.T) idempotencyHarness) {
	t.Run("twenty concurrent begins of a free key make exactly one claim", func(t *testing.T) {
		h := newStore(t)
		var mu sync.Mutex
		got := map[cache.BeginOutcome]int{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				res, err := h.store.Begin(context.Background(), "k", "h", inflightTTL)
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
		want := map[cache.BeginOutcome]int{cache.BeginClaimed: 1, cache.BeginInFlight: 19}
		if !maps.Equal(got, want) {
			t.Fatalf("got outcomes %v, want %v", got, want)
		}
	})
}
