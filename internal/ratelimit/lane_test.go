package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/ratelimit"
)

func TestReserveIsAFifthRoundedUp(t *testing.T) {
	cases := []struct{ limit, reserve, background int }{
		{50, 10, 40}, {51, 11, 40}, {10, 2, 8}, {4, 1, 3}, {1, 1, 0}, {10_000, 2000, 8000},
	}
	for _, c := range cases {
		if got := ratelimit.Reserve(c.limit); got != c.reserve {
			t.Errorf("Reserve(%d): got %d, want %d", c.limit, got, c.reserve)
		}
		if got := ratelimit.LaneLimit(c.limit, ratelimit.Background); got != c.background {
			t.Errorf("LaneLimit(%d, Background): got %d, want %d", c.limit, got, c.background)
		}
		if got := ratelimit.LaneLimit(c.limit, ratelimit.Caller); got != c.limit {
			t.Errorf("LaneLimit(%d, Caller): got %d, want %d", c.limit, got, c.limit)
		}
	}
}

func TestLaneTravelsInTheContext(t *testing.T) {
	if got := ratelimit.LaneOf(context.Background()); got != ratelimit.Caller {
		t.Errorf("a bare context: got lane %v, want caller", got)
	}
	if got := ratelimit.LaneOf(ratelimit.WithLane(context.Background(), ratelimit.Background)); got != ratelimit.Background {
		t.Errorf("got lane %v, want background", got)
	}
}

// TestCallerIsAdmittedAtOnceUnderContinuousBackgroundWork runs background
// work that asks for a slot every 100 ms of fake time for three minutes,
// honouring each refusal's RetryAfter, with a caller's live request every
// 7 s: every live request is admitted at once, without a wait.
func TestCallerIsAdmittedAtOnceUnderContinuousBackgroundWork(t *testing.T) {
	f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 50})
	bg := ratelimit.WithLane(t.Context(), ratelimit.Background)
	start := f.clock.Now()
	var bgAdmitted, callers int
	nextCaller := start
	for f.clock.Now().Sub(start) < 3*time.Minute {
		if err := f.budget.Wait(bg); err == nil {
			bgAdmitted++
		}
		if !f.clock.Now().Before(nextCaller) {
			sleeps := len(f.clock.Sleeps())
			if err := f.budget.Wait(t.Context()); err != nil {
				t.Fatalf("live request %d at %v: got %v, want admitted", callers+1, f.clock.Now().Sub(start), err)
			}
			if got := len(f.clock.Sleeps()); got != sleeps {
				t.Fatalf("live request %d: got a wait of %v, want admitted at once", callers+1, f.clock.Sleeps()[sleeps:])
			}
			callers++
			nextCaller = nextCaller.Add(7 * time.Second)
		}
		f.clock.Advance(100 * time.Millisecond)
	}
	if callers < 25 {
		t.Fatalf("got %d live requests, want about 26", callers)
	}
	// Three minutes of 61 s windows: the background lane saturated the
	// 40 slots it may use in each.
	if bgAdmitted < 100 {
		t.Errorf("got %d background admissions, want the lane kept busy (over 100)", bgAdmitted)
	}
}

func TestBackgroundIsRefusedWithItsLanesRetryAfter(t *testing.T) {
	f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 50})
	f.fill(t, 40, 50)
	bg := ratelimit.WithLane(t.Context(), ratelimit.Background)
	err := f.budget.Wait(bg)
	wantExhausted(t, err, window)
	if len(f.clock.Sleeps()) != 0 {
		t.Errorf("got waits %v, want a refusal at once", f.clock.Sleeps())
	}
	if got := f.outcomes(); len(got) != 0 {
		t.Errorf("got wait outcomes %v reported, want none for background work", got)
	}
	if err := f.budget.Wait(t.Context()); err != nil {
		t.Errorf("caller with 10 slots free: got %v, want admitted", err)
	}
	if r, ok := f.budget.LastRemaining(); !ok || r != 9 {
		t.Errorf("got remaining %d (%v), want 9 for callers", r, ok)
	}
}

func TestBackgroundNeverRunsOnABudgetOfOne(t *testing.T) {
	f := newBudgetFixture(t, ratelimit.BudgetConfig{Limit: 1})
	err := f.budget.Wait(ratelimit.WithLane(t.Context(), ratelimit.Background))
	wantExhausted(t, err, window)
	if err := f.budget.Wait(t.Context()); err != nil {
		t.Errorf("caller: got %v, want admitted", err)
	}
}
