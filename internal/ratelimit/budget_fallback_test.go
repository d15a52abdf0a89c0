package ratelimit_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
	"switchboard/internal/storehealth"
)

// flakyStore is a shared store that can go down: while down every call
// fails; up, it passes calls to a real MemoryStore. It counts the calls
// that reached it.
type flakyStore struct {
	ratelimit.Store
	down  atomic.Bool
	calls atomic.Int64
}

var errStoreDown = errors.New("store is down")

func (s *flakyStore) Admit(ctx context.Context, account string, limit int, window time.Duration) (ratelimit.Decision, error) {
	if err := s.enter(ctx); err != nil {
		return ratelimit.Decision{}, err
	}
	return s.Store.Admit(ctx, account, limit, window)
}

func (s *flakyStore) Peek(ctx context.Context, account string, limit int, window time.Duration) (ratelimit.Decision, error) {
	if err := s.enter(ctx); err != nil {
		return ratelimit.Decision{}, err
	}
	return s.Store.Peek(ctx, account, limit, window)
}

func (s *flakyStore) Pause(ctx context.Context, account string, d time.Duration) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	return s.Store.Pause(ctx, account, d)
}

// enter fails like a network store would: with the caller's context error
// when it has ended, else with errStoreDown while down.
func (s *flakyStore) enter(ctx context.Context) error {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.down.Load() {
		return errStoreDown
	}
	return nil
}

func newFlakyFixture(t *testing.T, cfg ratelimit.BudgetConfig) (*budgetFixture, *flakyStore) {
	t.Helper()
	flaky := &flakyStore{Store: ratelimit.NewMemoryStore(time.Now)}
	cfg.Store = flaky
	f := newBudgetFixture(t, cfg)
	flaky.Store = f.store // on the fixture's clock
	return f, flaky
}

// threeReplicas is a LiveReplicas of three replicas.
func threeReplicas() int { return 3 }

func TestBudgetFallsBackToItsShareWhenTheStoreFails(t *testing.T) {
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9, LiveReplicas: threeReplicas})
	flaky.down.Store(true)

	for i := range 3 {
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("Wait %d: got %v, want the store failure hidden", i+1, err)
		}
	}
	wantExhausted(t, f.budget.Wait(t.Context()), window)

	if got := flaky.calls.Load(); got != 1 {
		t.Errorf("got %d calls to the failing store, want 1 until RetryShared passes", got)
	}
	f.mu.Lock()
	errs := f.errs
	f.mu.Unlock()
	if len(errs) != 1 || !errors.Is(errs[0], errStoreDown) {
		t.Errorf("got store errors %v, want the one failure", errs)
	}
	d, err := f.budget.Status(t.Context())
	if err != nil || d.Limit != 3 || d.Remaining != 0 {
		t.Errorf("Status: got %+v, %v; want the fallback's share of 3, spent", d, err)
	}
}

func TestBudgetReturnsToTheSharedStoreOnRecovery(t *testing.T) {
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9, RetryShared: 5 * time.Second, LiveReplicas: threeReplicas})
	flaky.down.Store(true)
	if err := f.budget.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	flaky.down.Store(false)

	f.clock.Advance(5*time.Second - time.Nanosecond)
	if d, _ := f.budget.Status(t.Context()); d.Limit != 3 {
		t.Fatalf("before RetryShared: got limit %d, want the fallback's 3", d.Limit)
	}
	f.clock.Advance(time.Nanosecond)
	if d, _ := f.budget.Status(t.Context()); d.Limit != 9 || d.Remaining != 9 {
		t.Fatalf("after RetryShared: got %+v, want the shared store's 9 remaining", d)
	}
	if err := f.budget.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := mustPeek(t, f.store, "acme", 9, window); d.Remaining != 8 {
		t.Errorf("got %d remaining in the shared store, want 8", d.Remaining)
	}
}

func TestBudgetFallbackShare(t *testing.T) {
	tests := []struct {
		name        string
		limit, live int
		want        int
	}{
		{"a single replica keeps the whole default limit", 0, 1, 50},
		{"three live replicas share the default limit, floored", 0, 3, 16},
		{"two live replicas get half each", 50, 2, 25},
		{"more replicas than slots still admit one each", 2, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := func() int { return tc.live }
			f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: tc.limit, LiveReplicas: live})
			flaky.down.Store(true)
			if d, err := f.budget.Status(t.Context()); err != nil || d.Limit != tc.want || d.Remaining != tc.want {
				t.Errorf("got %+v, %v; want limit and remaining %d", d, err, tc.want)
			}
		})
	}
}

func TestBudgetPauseOutlivesAStoreOutage(t *testing.T) {
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9})
	f.budget.Pause(t.Context(), 30*time.Second)
	flaky.down.Store(true)
	wantExhausted(t, f.budget.Wait(t.Context()), 30*time.Second)
}

func TestBudgetPauseDuringAnOutageIsKeptLocally(t *testing.T) {
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9})
	flaky.down.Store(true)
	f.budget.Pause(t.Context(), 30*time.Second)
	wantExhausted(t, f.budget.Wait(t.Context()), 30*time.Second)
}

func TestBudgetDoesNotBlameTheStoreForTheCallersCancellation(t *testing.T) {
	f, _ := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.budget.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) != 0 {
		t.Errorf("got store errors %v, want none", f.errs)
	}
	if d, _ := f.budget.Status(t.Context()); d.Limit != 9 {
		t.Errorf("got limit %d, want the shared store still in use", d.Limit)
	}
}

func TestBudgetKeepsServingWithRedisUnreachable(t *testing.T) {
	b, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account: "acme", Limit: 6, Store: ratelimit.NewRedisStore(unreachableRedis(t), "", nil), LiveReplicas: threeReplicas,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := b.Wait(t.Context()); err != nil {
			t.Fatalf("Wait %d: %v", i+1, err)
		}
	}
	err = b.Wait(t.Context())
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUpstreamBudget || !near(de.RetryAfter, window) {
		t.Errorf("third Wait: got %v, want %s for about a minute: the share of 6 is 2", err, domain.CodeUpstreamBudget)
	}
}

func TestBudgetCarriesTheSharedWindowIntoAnOutage(t *testing.T) {
	twoReplicas := func() int { return 2 }
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 10, LiveReplicas: twoReplicas})
	f.fill(t, 6, 10) // the other replica's admissions
	for range 2 {
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	flaky.down.Store(true)

	// The share is 5; the window holds this replica's 2 and the other's 6.
	wantExhausted(t, f.budget.Wait(t.Context()), window)

	// Once they have left the window, the share is this replica's again.
	f.clock.Advance(window)
	for i := range 5 {
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("after the window: Wait %d: got %v, want admitted", i+1, err)
		}
	}
	wantExhausted(t, f.budget.Wait(t.Context()), window)
}

func TestBudgetFollowsTheStoreHealthItShares(t *testing.T) {
	clock := newFakeClock()
	health, err := storehealth.New(storehealth.Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f, flaky := newFlakyFixture(t, ratelimit.BudgetConfig{Limit: 9, Health: health, LiveReplicas: threeReplicas})

	// Another user of the same Redis client (the cache, the inbound
	// counter) saw it fail: the budget falls back without paying a timeout
	// of its own.
	health.Failed()
	if d, err := f.budget.Status(t.Context()); err != nil || d.Limit != 3 {
		t.Fatalf("got %+v, %v; want the share of 3", d, err)
	}
	if got := flaky.calls.Load(); got != 0 {
		t.Errorf("got %d calls to the store while its health is down, want 0", got)
	}

	clock.Advance(storehealth.DefaultCooldown)
	if d, err := f.budget.Status(t.Context()); err != nil || d.Limit != 9 {
		t.Errorf("after the cooldown: got %+v, %v; want the shared store's 9", d, err)
	}
}
