package ratelimit_test

import (
	"sync"
	"testing"
	"time"

	"switchboard/internal/ratelimit"
)

// storeUnderTest is a Store with a way to let time pass on its clock: the
// fake clock of a MemoryStore, real time for a RedisStore, whose clock is
// Redis TIME and cannot be faked. Tests that let time pass keep it short.
type storeUnderTest struct {
	ratelimit.Store
	elapse func(time.Duration)
}

// Windows of the conformance suite: a long one for tests in which time must
// not matter, a short one for tests that wait for it.
const (
	longWindow  = time.Minute
	shortWindow = 150 * time.Millisecond
)

// testStore is the conformance suite every Store passes. newStore must return
// an empty store.
func testStore(t *testing.T, newStore func(t *testing.T) storeUnderTest) {
	t.Helper()
	t.Run("admits up to the limit, counting the remaining slots down", func(t *testing.T) {
		s := newStore(t)
		for i := range 3 {
			d := mustAdmit(t, s, "acme", 3, longWindow)
			if !d.Admitted || d.Remaining != 2-i || d.RetryAfter != 0 || d.Limit != 3 {
				t.Fatalf("admission %d: got %+v, want admitted with %d remaining", i+1, d, 2-i)
			}
		}
	})

	t.Run("refuses past the limit and says when a slot frees", func(t *testing.T) {
		s := newStore(t)
		mustAdmit(t, s, "acme", 2, longWindow)
		mustAdmit(t, s, "acme", 2, longWindow)
		d := mustAdmit(t, s, "acme", 2, longWindow)
		if d.Admitted || d.Remaining != 0 {
			t.Fatalf("got %+v, want refused with 0 remaining", d)
		}
		if d.RetryAfter <= longWindow-5*time.Second || d.RetryAfter > longWindow {
			t.Errorf("got RetryAfter %v, want just under %v", d.RetryAfter, longWindow)
		}
	})

	t.Run("background work leaves the last fifth of the window to callers", func(t *testing.T) {
		s := newStore(t)
		const limit = 10 // reserve 2: background may take 8
		bg := ratelimit.LaneLimit(limit, ratelimit.Background)
		for i := range 8 {
			if d := mustAdmit(t, s, "acme", bg, longWindow); !d.Admitted {
				t.Fatalf("background admission %d: got %+v, want admitted", i+1, d)
			}
		}
		d := mustAdmit(t, s, "acme", bg, longWindow)
		if d.Admitted || d.RetryAfter <= longWindow-5*time.Second || d.RetryAfter > longWindow {
			t.Fatalf("9th background admission: got %+v, want refused until the oldest leaves the window", d)
		}
		for i := range 2 {
			if d := mustAdmit(t, s, "acme", limit, longWindow); !d.Admitted || d.Remaining != 1-i {
				t.Fatalf("caller admission %d after the background took its share: got %+v, want admitted with %d remaining", i+1, d, 1-i)
			}
		}
		if d := mustAdmit(t, s, "acme", limit, longWindow); d.Admitted {
			t.Fatalf("caller admission past the limit: got %+v, want refused", d)
		}
	})

	t.Run("callers' admissions count against the background lane", func(t *testing.T) {
		s := newStore(t)
		const limit = 5 // reserve 1: background may take 4 in all
		for range 4 {
			mustAdmit(t, s, "acme", limit, longWindow)
		}
		if d := mustAdmit(t, s, "acme", ratelimit.LaneLimit(limit, ratelimit.Background), longWindow); d.Admitted {
			t.Fatalf("background admission with one slot free: got %+v, want refused", d)
		}
		if d := mustAdmit(t, s, "acme", limit, longWindow); !d.Admitted {
			t.Fatalf("caller admission with one slot free: got %+v, want admitted", d)
		}
	})

	t.Run("peek reports the remaining slots without taking one", func(t *testing.T) {
		s := newStore(t)
		if d := mustPeek(t, s, "acme", 2, longWindow); d.Admitted || d.Remaining != 2 || d.RetryAfter != 0 {
			t.Fatalf("peek of an unused account: got %+v, want 2 remaining", d)
		}
		mustAdmit(t, s, "acme", 2, longWindow)
		for range 2 {
			if d := mustPeek(t, s, "acme", 2, longWindow); d.Remaining != 1 {
				t.Fatalf("got %d remaining, want 1", d.Remaining)
			}
		}
		mustAdmit(t, s, "acme", 2, longWindow)
		if d := mustPeek(t, s, "acme", 2, longWindow); d.Remaining != 0 || d.RetryAfter <= 0 {
			t.Fatalf("peek of a spent budget: got %+v, want 0 remaining and a RetryAfter", d)
		}
	})

	t.Run("a slot frees when the oldest admission leaves the window", func(t *testing.T) {
		s := newStore(t)
		mustAdmit(t, s, "acme", 1, shortWindow)
		d := mustAdmit(t, s, "acme", 1, shortWindow)
		if d.Admitted || d.RetryAfter <= 0 || d.RetryAfter > shortWindow {
			t.Fatalf("got %+v, want refused with a RetryAfter within %v", d, shortWindow)
		}
		s.elapse(d.RetryAfter)
		if d := mustAdmit(t, s, "acme", 1, shortWindow); !d.Admitted {
			t.Fatalf("after RetryAfter: got %+v, want admitted", d)
		}
	})

	t.Run("past a lowered limit, a slot frees only when enough admissions have left", func(t *testing.T) {
		s := newStore(t)
		const gap = 300 * time.Millisecond
		mustAdmit(t, s, "acme", 3, longWindow)
		s.elapse(gap)
		mustAdmit(t, s, "acme", 3, longWindow)
		mustAdmit(t, s, "acme", 3, longWindow)
		// With a limit of 2, the second admission must leave too: the
		// wait is a window from it, not from the first.
		d := mustAdmit(t, s, "acme", 2, longWindow)
		if d.Admitted || d.RetryAfter <= longWindow-gap || d.RetryAfter > longWindow {
			t.Fatalf("got %+v, want refused for more than %v", d, longWindow-gap)
		}
	})

	t.Run("a pause refuses admissions for its length", func(t *testing.T) {
		s := newStore(t)
		mustPause(t, s, "acme", time.Minute)
		d := mustAdmit(t, s, "acme", 5, longWindow)
		if d.Admitted || d.Remaining != 0 || !near(d.RetryAfter, time.Minute) {
			t.Fatalf("got %+v, want refused for about a minute", d)
		}
		if d := mustPeek(t, s, "acme", 5, longWindow); d.Remaining != 0 || !near(d.RetryAfter, time.Minute) {
			t.Fatalf("peek while paused: got %+v, want 0 remaining for about a minute", d)
		}
	})

	t.Run("a shorter pause does not shorten a longer one", func(t *testing.T) {
		s := newStore(t)
		mustPause(t, s, "acme", time.Minute)
		mustPause(t, s, "acme", time.Second)
		if d := mustAdmit(t, s, "acme", 5, longWindow); d.Admitted || !near(d.RetryAfter, time.Minute) {
			t.Fatalf("got %+v, want refused for about a minute", d)
		}
	})

	t.Run("a longer pause extends a shorter one", func(t *testing.T) {
		s := newStore(t)
		mustPause(t, s, "acme", time.Second)
		mustPause(t, s, "acme", time.Minute)
		if d := mustAdmit(t, s, "acme", 5, longWindow); d.Admitted || !near(d.RetryAfter, time.Minute) {
			t.Fatalf("got %+v, want refused for about a minute", d)
		}
	})

	t.Run("admissions resume when the pause ends", func(t *testing.T) {
		s := newStore(t)
		mustPause(t, s, "acme", 100*time.Millisecond)
		d := mustAdmit(t, s, "acme", 5, longWindow)
		if d.Admitted || d.RetryAfter <= 0 || d.RetryAfter > 100*time.Millisecond {
			t.Fatalf("got %+v, want refused for at most 100ms", d)
		}
		s.elapse(d.RetryAfter)
		if d := mustAdmit(t, s, "acme", 5, longWindow); !d.Admitted || d.Remaining != 4 {
			t.Fatalf("after the pause: got %+v, want admitted with 4 remaining", d)
		}
	})

	t.Run("a pause of zero or less does nothing", func(t *testing.T) {
		s := newStore(t)
		mustPause(t, s, "acme", 0)
		mustPause(t, s, "acme", -time.Second)
		if d := mustAdmit(t, s, "acme", 1, longWindow); !d.Admitted {
			t.Fatalf("got %+v, want admitted", d)
		}
	})

	t.Run("accounts are independent, whatever characters their names hold", func(t *testing.T) {
		s := newStore(t)
		a, b := "acme/client?id={1}&x y", "acme/client?id={2}&x y"
		mustAdmit(t, s, a, 1, longWindow)
		mustPause(t, s, a, time.Minute)
		if d := mustAdmit(t, s, b, 1, longWindow); !d.Admitted {
			t.Fatalf("other account: got %+v, want admitted", d)
		}
		if d := mustAdmit(t, s, a, 1, longWindow); d.Admitted {
			t.Fatalf("first account: got %+v, want refused", d)
		}
	})

	t.Run("50 concurrent admissions never exceed the limit", func(t *testing.T) {
		testConcurrentAdmissions(t, []ratelimit.Store{newStore(t)})
	})

	t.Run("an invalid limit or window is an error", func(t *testing.T) {
		s := newStore(t)
		for _, tc := range []struct {
			limit  int
			window time.Duration
		}{{0, longWindow}, {-1, longWindow}, {1, 0}, {1, -time.Second}} {
			if _, err := s.Admit(t.Context(), "acme", tc.limit, tc.window); err == nil {
				t.Errorf("Admit(limit %d, window %v): got no error, want one", tc.limit, tc.window)
			}
			if _, err := s.Peek(t.Context(), "acme", tc.limit, tc.window); err == nil {
				t.Errorf("Peek(limit %d, window %v): got no error, want one", tc.limit, tc.window)
			}
		}
	})
}

// testConcurrentAdmissions admits from 50 goroutines spread over stores that
// share one account, and checks that exactly the limit got through, each
// with its own remaining count.
func testConcurrentAdmissions(t *testing.T, stores []ratelimit.Store) {
	t.Helper()
	const limit, callers = 10, 50
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		remaining = map[int]int{}
		admitted  int
	)
	for i := range callers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			d, err := s.Admit(t.Context(), "acme", limit, longWindow)
			if err != nil {
				t.Errorf("Admit: %v", err)
				return
			}
			if d.Admitted {
				mu.Lock()
				admitted++
				remaining[d.Remaining]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != limit {
		t.Fatalf("got %d admitted, want %d", admitted, limit)
	}
	for r := range limit {
		if remaining[r] != 1 {
			t.Errorf("got %d admissions leaving %d remaining, want 1", remaining[r], r)
		}
	}
}

func mustAdmit(t *testing.T, s ratelimit.Store, account string, limit int, window time.Duration) ratelimit.Decision {
	t.Helper()
	d, err := s.Admit(t.Context(), account, limit, window)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	return d
}

func mustPeek(t *testing.T, s ratelimit.Store, account string, limit int, window time.Duration) ratelimit.Decision {
	t.Helper()
	d, err := s.Peek(t.Context(), account, limit, window)
	if err != nil {
		t.Fatalf("Peek: %v", err)
	}
	return d
}

func mustPause(t *testing.T, s ratelimit.Store, account string, d time.Duration) {
	t.Helper()
	if err := s.Pause(t.Context(), account, d); err != nil {
		t.Fatalf("Pause: %v", err)
	}
}

// near reports whether got is want or a little less: the time a test took
// between setting something up and reading it back.
func near(got, want time.Duration) bool {
	return got <= want && got > want-5*time.Second
}

func TestMemoryStoreConformance(t *testing.T) {
	testStore(t, func(t *testing.T) storeUnderTest {
		clock := newFakeClock()
		return storeUnderTest{Store: ratelimit.NewMemoryStore(clock.Now), elapse: clock.Advance}
	})
}

func TestRedisStoreConformance(t *testing.T) {
	testStore(t, func(t *testing.T) storeUnderTest {
		rdb := newRedisClient(t)
		return storeUnderTest{
			Store:  ratelimit.NewRedisStore(rdb, testPrefix(t, rdb), nil),
			elapse: time.Sleep, // Redis TIME is the clock; only real time moves it.
		}
	})
}
