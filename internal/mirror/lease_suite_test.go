package mirror

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// The lease, fencing and follow-request parts of the conformance suite
// (testStoreSuite runs them).

// takeOverLease lets a's lease (granted with h.ttl) run out and returns the
// fence another owner then acquires.
func takeOverLease(t *testing.T, h storeHarness, account string) int64 {
	t.Helper()
	var fence int64
	h.afterTTL(t, func() bool {
		f, ok, err := h.store.Acquire(context.Background(), account, "replica-b", time.Minute)
		if err != nil {
			t.Fatalf("Acquire: %v", err)
		}
		fence = f
		return ok
	})
	return fence
}

func testFencing(t *testing.T, h storeHarness) {
	ctx := context.Background()
	if _, err := h.store.Upsert(ctx, "acct", 1, suiteHistory()); !errors.Is(err, ErrFenced) {
		t.Errorf("a write before any lease: got %v, want ErrFenced", err)
	}
	old, ok, err := h.store.Acquire(ctx, "acct", "replica-a", h.ttl)
	if err != nil || !ok {
		t.Fatalf("Acquire = %v, %v; want a lease", ok, err)
	}
	history := suiteHistory()
	mustUpsertCalls(t, h.store, "acct", old, history[:5])
	if err := h.store.SaveState(ctx, "acct", old, State{SyncedAt: histNow}); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	current := takeOverLease(t, h, "acct")
	if current <= old {
		t.Fatalf("the new holder's fence is %d, want more than the old %d", current, old)
	}
	changed := suiteCall(history[0].ID, histNow, "1002", "Facebook")
	stale := []struct {
		name  string
		write func() error
	}{
		{"upsert", func() error {
			_, err := h.store.Upsert(ctx, "acct", old, append([]domain.Call{changed}, history[5:]...))
			return err
		}},
		{"trim", func() error { return h.store.Trim(ctx, "acct", old, histNow.Add(time.Hour)) }},
		{"save state", func() error { return h.store.SaveState(ctx, "acct", old, State{SyncedAt: histNow.Add(time.Hour)}) }},
		{"mark followed", func() error { return h.store.MarkFollowed(ctx, "acct", old, 5) }},
	}
	for _, w := range stale {
		if err := w.write(); !errors.Is(err, ErrFenced) {
			t.Errorf("%s with the old fence: got %v, want ErrFenced", w.name, err)
		}
	}
	if n := mustCountCalls(t, h.store, "acct"); n != 5 {
		t.Errorf("got %d calls held, want the 5 written under the old lease", n)
	}
	if c, _, _ := h.store.Get(ctx, "acct", history[0].ID); !reflect.DeepEqual(c, history[0]) {
		t.Errorf("call %s was changed by a fenced write: got %+v", history[0].ID, c)
	}
	if s, _ := h.store.State(ctx, "acct"); !s.SyncedAt.Equal(histNow) {
		t.Errorf("state was changed by a fenced write: got synced_at %v, want %v", s.SyncedAt, histNow)
	}
	if n, _ := h.store.Followed(ctx, "acct"); n != 0 {
		t.Errorf("followed mark was changed by a fenced write: got %d, want 0", n)
	}
	if got := mustUpsertCalls(t, h.store, "acct", current, []domain.Call{changed}); got[0] != Updated {
		t.Errorf("the new holder's write: got %v, want Updated", got[0])
	}
	h.consistent(t, "acct")
}

func testLease(t *testing.T, h storeHarness) {
	ctx := context.Background()
	acquire := func(owner string) (int64, bool) {
		t.Helper()
		f, ok, err := h.store.Acquire(ctx, "acct", owner, h.ttl)
		if err != nil {
			t.Fatalf("Acquire(%s): %v", owner, err)
		}
		return f, ok
	}
	first, ok := acquire("replica-a")
	if !ok || first < 1 {
		t.Fatalf("first Acquire = %d, %v; want a positive fence", first, ok)
	}
	if f, ok := acquire("replica-b"); ok || f != 0 {
		t.Errorf("a second owner while held: got %d, %v; want 0, false", f, ok)
	}
	if f, ok := acquire("replica-a"); ok {
		t.Errorf("the holder acquiring again: got %d, %v; want false (it renews)", f, ok)
	}
	second := takeOverLease(t, h, "acct")
	if second <= first {
		t.Errorf("takeover fence %d, want more than %d", second, first)
	}
	if ok, err := h.store.Renew(ctx, "acct", first, h.ttl); ok || err != nil {
		t.Errorf("Renew by the stale fence = %v, %v; want false", ok, err)
	}
	if err := h.store.Release(ctx, "acct", first); err != nil {
		t.Errorf("Release by the stale fence: %v", err)
	}
	if f, ok := acquire("replica-c"); ok {
		t.Errorf("a release by the stale fence freed the new holder's lease: got %d", f)
	}
	if ok, err := h.store.Renew(ctx, "acct", second, time.Minute); !ok || err != nil {
		t.Errorf("Renew by the holder = %v, %v; want true", ok, err)
	}
	if err := h.store.Release(ctx, "acct", second); err != nil {
		t.Fatalf("Release: %v", err)
	}
	third, ok := acquire("replica-c")
	if !ok || third <= second {
		t.Errorf("Acquire right after a release = %d, %v; want a fence above %d", third, ok, second)
	}
	if ok, err := h.store.Renew(ctx, "acct", third, time.Minute); !ok || err != nil {
		t.Fatalf("Renew by the holder = %v, %v; want true", ok, err)
	}
	h.afterTTL(t, func() bool { return true })
	if f, ok := acquire("replica-d"); ok {
		t.Errorf("the lease expired at its first ttl although renewed: another owner got %d", f)
	}
	if _, err := h.store.Upsert(ctx, "acct", second, suiteHistory()[:1]); !errors.Is(err, ErrFenced) {
		t.Errorf("a write with a released fence: got %v, want ErrFenced", err)
	}
	if _, _, err := h.store.Acquire(ctx, "other", "replica-a", 0); err == nil {
		t.Errorf("Acquire with a zero ttl: got no error")
	}
}

func testFollowRequests(t *testing.T, h storeHarness) {
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if got, err := h.store.RequestFollow(ctx, "acct"); err != nil || got != want {
			t.Errorf("RequestFollow = %d, %v; want %d", got, err, want)
		}
	}
	if got, err := h.store.Requested(ctx, "acct"); err != nil || got != 3 {
		t.Errorf("Requested = %d, %v; want 3", got, err)
	}
	if got, err := h.store.Followed(ctx, "acct"); err != nil || got != 0 {
		t.Errorf("Followed before any follow = %d, %v; want 0", got, err)
	}
	fence := holdLease(t, h, "acct")
	for _, step := range []struct {
		mark, want int64
	}{{2, 2}, {1, 2}, {3, 3}, {2, 3}} {
		if err := h.store.MarkFollowed(ctx, "acct", fence, step.mark); err != nil {
			t.Fatalf("MarkFollowed(%d): %v", step.mark, err)
		}
		if got, _ := h.store.Followed(ctx, "acct"); got != step.want {
			t.Errorf("after MarkFollowed(%d): got Followed %d, want %d", step.mark, got, step.want)
		}
	}
	if err := h.store.MarkFollowed(ctx, "acct", fence+1, 9); !errors.Is(err, ErrFenced) {
		t.Errorf("MarkFollowed with another fence: got %v, want ErrFenced", err)
	}
}
