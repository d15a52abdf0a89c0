package idempotency_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/internal/idempotency"
)

// flakyStore fails the first failures Completes; when landFirst is set the
// failing attempt reaches the store first and only its answer is lost.
type flakyStore struct {
	idempotency.Store
	landFirst bool

	mu       sync.Mutex
	failures int
	calls    int
}

var errBlip = errors.New("connection reset by peer")

func (f *flakyStore) Complete(ctx context.Context, key, owner string, rec idempotency.Record, keep time.Duration) error {
	f.mu.Lock()
	f.calls++
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if !fail {
		return f.Store.Complete(ctx, key, owner, rec, keep)
	}
	if f.landFirst {
		_ = f.Store.Complete(ctx, key, owner, rec, keep)
	}
	return errBlip
}

func testCompletionRetry(t *testing.T, newStore func(t *testing.T) storeHarness) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		failures   int
		landFirst  bool
		owner      func(claimed string) string
		wantErr    error
		wantCalls  int
		wantStored bool
	}{
		{"a completion that fails once is retried and stored", 1, false, nil, nil, 2, true},
		{"a completion whose answer was lost is retried without error", 1, true, nil, nil, 2, true},
		{"a completion that keeps failing gives up after three attempts", 10, false, nil, errBlip, 3, false},
		{"a foreign token is refused at once, not retried", 0, false,
			func(string) string { return "0123456789abcdef0123456789abcdef" }, idempotency.ErrNotOwner, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStore(t)
			owner := mustClaim(t, h.store, "k", "h", lease, keep)
			if tc.owner != nil {
				owner = tc.owner(owner)
			}
			f := &flakyStore{Store: h.store, failures: tc.failures, landFirst: tc.landFirst}
			err := idempotency.CompleteRetrying(ctx, f, "k", owner, sampleRecord("h"), keep)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if f.calls != tc.wantCalls {
				t.Errorf("got %d attempts, want %d", f.calls, tc.wantCalls)
			}
			res := mustBegin(t, h.store, "k", "h", lease, keep)
			if got := res.Outcome == idempotency.Replay; got != tc.wantStored {
				t.Fatalf("got outcome %v after the completion, want stored=%v", res.Outcome, tc.wantStored)
			}
			if tc.wantStored {
				assertRecord(t, res.Record, sampleRecord("h"))
			}
		})
	}
}
