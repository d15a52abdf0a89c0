package ratelimit_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
	"switchboard/internal/upstream/phonewagon"
)

// The Phonewagon client waits on a Budget.
var _ phonewagon.Budget = (*ratelimit.Budget)(nil)

// window is the window a Budget counts in by default: a minute plus the
// safety margin.
const window = ratelimit.Window + ratelimit.DefaultMargin

// budgetFixture is a Budget on a MemoryStore and a fake clock, with what its
// hooks were told.
type budgetFixture struct {
	budget *ratelimit.Budget
	store  *ratelimit.MemoryStore
	clock  *fakeClock
	mu     sync.Mutex
	waits  []string
	errs   []error
}

func newBudgetFixture(t *testing.T, cfg ratelimit.BudgetConfig) *budgetFixture {
	t.Helper()
	f := &budgetFixture{clock: newFakeClock()}
	f.store = ratelimit.NewMemoryStore(f.clock.Now)
	cfg.Account = "acme"
	if cfg.Store == nil {
		cfg.Store = f.store
	}
	cfg.Now, cfg.Sleep = f.clock.Now, f.clock.Sleep
	cfg.OnWait = func(o string) { f.mu.Lock(); f.waits = append(f.waits, o); f.mu.Unlock() }
	cfg.OnStoreError = func(err error) { f.mu.Lock(); f.errs = append(f.errs, err); f.mu.Unlock() }
	b, err := ratelimit.NewBudget(cfg)
	if err != nil {
		t.Fatalf("NewBudget: %v", err)
	}
	f.budget = b
	return f
}

// fill takes n slots directly in the store, as other replicas would.
func (f *budgetFixture) fill(t *testing.T, n, limit int) {
	t.Helper()
	for range n {
		if d := mustAdmit(t, f.store, "acme", limit, window); !d.Admitted {
			t.Fatalf("filling the budget: got %+v, want admitted", d)
		}
	}
}

func (f *budgetFixture) outcomes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.waits)
}

// wantExhausted checks that err is the budget refusal with retryAfter.
func wantExhausted(t *testing.T, err error, retryAfter time.Duration) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUpstreamBudget {
		t.Fatalf("got error %v, want %s", err, domain.CodeUpstreamBudget)
	}
	if de.RetryAfter != retryAfter {
		t.Errorf("got RetryAfter %v, want %v", de.RetryAfter, retryAfter)
	}
}

func TestBudgetWait(t *testing.T) {
	t.Run("admits at once while slots remain", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 2})
		for i := range 2 {
			if err := f.budget.Wait(t.Context()); err != nil {
				t.Fatalf("Wait %d: %v", i+1, err)
			}
		}
		if s := f.clock.Sleeps(); len(s) != 0 || len(f.outcomes()) != 0 {
			t.Errorf("got sleeps %v and outcomes %v, want none", s, f.outcomes())
		}
	})

	t.Run("waits for a slot that frees within MaxWait, then admits", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 1})
		f.fill(t, 1, 1)
		f.clock.Advance(window - 1500*time.Millisecond)
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if got, want := f.clock.Sleeps(), []time.Duration{1500 * time.Millisecond}; !slices.Equal(got, want) {
			t.Errorf("got sleeps %v, want %v", got, want)
		}
		if got := f.outcomes(); !slices.Equal(got, []string{ratelimit.WaitAdmitted}) {
			t.Errorf("got outcomes %v, want [admitted]", got)
		}
	})

	t.Run("waits for a slot that frees exactly at MaxWait", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 1, MaxWait: 3 * time.Second})
		f.fill(t, 1, 1)
		f.clock.Advance(window - 3*time.Second)
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	})

	t.Run("refuses at once with the exact Retry-After when no slot frees within MaxWait", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 1})
		f.fill(t, 1, 1)
		f.clock.Advance(10 * time.Second)
		wantExhausted(t, f.budget.Wait(t.Context()), window-10*time.Second)
		if s := f.clock.Sleeps(); len(s) != 0 {
			t.Errorf("got sleeps %v, want none", s)
		}
		if got := f.outcomes(); !slices.Equal(got, []string{ratelimit.WaitExhausted}) {
			t.Errorf("got outcomes %v, want [exhausted]", got)
		}
	})

	t.Run("gives up when another replica takes the freed slot and the next frees after MaxWait", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 2})
		f.fill(t, 1, 2)
		f.clock.Advance(1500 * time.Millisecond)
		f.fill(t, 1, 2)
		f.clock.Advance(window - 1500*time.Millisecond - time.Second) // the first slot frees in 1 s
		f.clock.afterSleep = func() { f.fill(t, 1, 2) }
		// After 1 s of the 2 s, the next slot frees in 1.5 s: too late.
		wantExhausted(t, f.budget.Wait(t.Context()), 1500*time.Millisecond)
		if got, want := f.clock.Sleeps(), []time.Duration{time.Second}; !slices.Equal(got, want) {
			t.Errorf("got sleeps %v, want %v", got, want)
		}
	})

	t.Run("a clock that does not move cannot hold a request past MaxWait", func(t *testing.T) {
		clock := newFakeClock()
		store := ratelimit.NewMemoryStore(clock.Now)
		var sleeps int
		b, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
			Account: "acme", Limit: 1, Store: store, Now: clock.Now,
			Sleep: func(context.Context, time.Duration) error {
				if sleeps++; sleeps > 10 {
					return errors.New("still sleeping after 10 waits")
				}
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		mustAdmit(t, store, "acme", 1, window)
		clock.Advance(window - 1500*time.Millisecond)
		wantExhausted(t, b.Wait(t.Context()), 1500*time.Millisecond)
		if sleeps != 1 {
			t.Errorf("got %d sleeps, want 1", sleeps)
		}
	})

	t.Run("a slot that frees after the caller's deadline is refused at once, not slept for", func(t *testing.T) {
		clock := newFakeClock()
		store := ratelimit.NewMemoryStore(clock.Now)
		var outcomes []string
		// The real timer: the slot frees in 1.5 s of it, the caller leaves
		// after 10 ms.
		b, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
			Account: "acme", Limit: 1, Store: store, Now: clock.Now,
			OnWait: func(o string) { outcomes = append(outcomes, o) },
		})
		if err != nil {
			t.Fatal(err)
		}
		mustAdmit(t, store, "acme", 1, window)
		clock.Advance(window - 1500*time.Millisecond)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		err = b.Wait(ctx)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeUpstreamBudget || de.RetryAfter <= 0 {
			t.Fatalf("got %v, want %s with a Retry-After: the slot frees after the caller's deadline", err, domain.CodeUpstreamBudget)
		}
		if ctx.Err() != nil {
			t.Error("Wait slept until the deadline instead of answering at once")
		}
		if !slices.Equal(outcomes, []string{ratelimit.WaitExhausted}) {
			t.Errorf("got outcomes %v, want [exhausted]", outcomes)
		}
	})

	t.Run("reports the remaining slots after every decision", func(t *testing.T) {
		var got []int
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 2, OnRemaining: func(n int) { got = append(got, n) }})
		for range 3 {
			_ = f.budget.Wait(t.Context())
		}
		if want := []int{1, 0, 0}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("admits the default 50 a window", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{})
		for i := range 50 {
			if err := f.budget.Wait(t.Context()); err != nil {
				t.Fatalf("Wait %d: %v", i+1, err)
			}
		}
		wantExhausted(t, f.budget.Wait(t.Context()), window)
	})
}

func TestBudgetPause(t *testing.T) {
	t.Run("a pause refuses with the pause as Retry-After", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 5})
		f.budget.Pause(t.Context(), 30*time.Second)
		wantExhausted(t, f.budget.Wait(t.Context()), 30*time.Second)
	})

	t.Run("a pause shorter than MaxWait is waited out", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 5})
		f.budget.Pause(t.Context(), time.Second)
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if got, want := f.clock.Sleeps(), []time.Duration{time.Second}; !slices.Equal(got, want) {
			t.Errorf("got sleeps %v, want %v", got, want)
		}
	})

	t.Run("a pause of zero does nothing", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 5})
		f.budget.Pause(t.Context(), 0)
		if err := f.budget.Wait(t.Context()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	})

	t.Run("the pause reaches the shared store, where the other replicas see it", func(t *testing.T) {
		f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 5})
		f.budget.Pause(t.Context(), 30*time.Second)
		if d := mustPeek(t, f.store, "acme", 5, window); d.RetryAfter != 30*time.Second {
			t.Errorf("got %+v, want the store paused for 30s", d)
		}
	})
}

func TestBudgetStatus(t *testing.T) {
	f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 3})
	t0 := f.clock.Now()
	if err := f.budget.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	got, err := f.budget.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := ratelimit.Decision{Limit: 3, Remaining: 2, Used: 1, ResetAt: t0.Add(window)}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if d := mustPeek(t, f.store, "acme", 3, window); d.Remaining != 2 {
		t.Errorf("Status took a slot: got %d remaining, want 2", d.Remaining)
	}
}

func TestNewBudgetValidates(t *testing.T) {
	store := ratelimit.NewMemoryStore(nil)
	tests := []struct {
		name string
		cfg  ratelimit.BudgetConfig
	}{
		{"an account is required", ratelimit.BudgetConfig{Store: store}},
		{"a store is required", ratelimit.BudgetConfig{Account: "acme"}},
		{"a negative limit is refused", ratelimit.BudgetConfig{Account: "acme", Store: store, Limit: -1}},
		{"a negative max wait is refused", ratelimit.BudgetConfig{Account: "acme", Store: store, MaxWait: -time.Second}},
		{"a negative margin is refused", ratelimit.BudgetConfig{Account: "acme", Store: store, Margin: -time.Second}},
		{"a negative retry is refused", ratelimit.BudgetConfig{Account: "acme", Store: store, RetryShared: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := ratelimit.NewBudget(tc.cfg); err == nil {
				t.Errorf("got %v, want an error", b)
			}
		})
	}
}

func TestBudgetsOnTwoReplicasShareTheLimitInRedis(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	const limit, callers = 5, 20
	var budgets []*ratelimit.Budget
	for _, c := range []ratelimit.Store{
		ratelimit.NewRedisStore(rdb, prefix, nil),
		ratelimit.NewRedisStore(newRedisClient(t), prefix, nil),
	} {
		b, err := ratelimit.NewBudget(ratelimit.BudgetConfig{Account: "acme", Limit: limit, Store: c})
		if err != nil {
			t.Fatal(err)
		}
		budgets = append(budgets, b)
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for i := range callers {
		wg.Go(func() {
			err := budgets[i%2].Wait(t.Context())
			if err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeUpstreamBudget || de.RetryAfter <= window-5*time.Second {
				t.Errorf("got %v, want %s for about a minute", err, domain.CodeUpstreamBudget)
			}
		})
	}
	wg.Wait()
	if admitted != limit {
		t.Errorf("got %d admitted, want %d", admitted, limit)
	}
}
