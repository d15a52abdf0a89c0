package cache_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
	"switchboard/internal/storehealth"
)

func TestCacheWhenTheBackendIsDown(t *testing.T) {
	t.Run("a failing backend still serves fills", func(t *testing.T) {
		clock := clocktest.New()
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0)}
		probe.failing.Store(true)
		c := newTestCache(t, clock, cache.Config{Backend: probe})
		f := newFiller("body", freshFor)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusMiss, "body", 0)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusMiss, "body", 0)
		assertFills(t, f, 2)
	})

	t.Run("a hanging backend is given up on and fills are served", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{Backend: hangingBackend{}, BackendTimeout: 10 * time.Millisecond})
		f := newFiller("body", freshFor)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Fetch(ctx, "k", false, f.fill)
		if err != nil {
			t.Fatalf("got error %v, want the fill", err)
		}
		assertResult(t, res, cache.StatusMiss, "body", 0)
	})

	t.Run("after a failure the backend rests for the cooldown, then is used again", func(t *testing.T) {
		clock := clocktest.New()
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0)}
		c := newTestCache(t, clock, cache.Config{Backend: probe, BackendCooldown: 10 * time.Second})
		f := newFiller("body", freshFor)

		probe.failing.Store(true)
		mustFetch(t, c, "k", false, f)
		probe.failing.Store(false)
		before := probe.calls.Load()
		mustFetch(t, c, "k", false, f)
		if got := probe.calls.Load() - before; got != 0 {
			t.Fatalf("during the cooldown: got %d backend calls, want 0", got)
		}

		clock.Advance(10 * time.Second)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusMiss, "body", 0)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 0)
		assertFills(t, f, 3)
	})

	t.Run("a failure seen by another user of the same Redis skips the backend too", func(t *testing.T) {
		clock := clocktest.New()
		health, err := storehealth.New(storehealth.Config{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0)}
		c := newTestCache(t, clock, cache.Config{Backend: probe, Health: health})
		f := newFiller("body", freshFor)

		health.Failed() // the budget or the inbound counter found Redis down
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusMiss, "body", 0)
		if got := probe.calls.Load(); got != 0 {
			t.Fatalf("while the shared health is down: got %d backend calls, want 0", got)
		}
		clock.Advance(storehealth.DefaultCooldown)
		mustFetch(t, c, "k", false, f)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 0)
	})

	t.Run("a caller that went away does not cool the backend down", func(t *testing.T) {
		clock := clocktest.New()
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0)}
		c := newTestCache(t, clock, cache.Config{Backend: probe})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Fetch(ctx, "k", false, newFiller("body", freshFor).fill); err == nil {
			t.Fatal("cancelled caller: got nil error, want one")
		}
		f := newFiller("body", freshFor)
		mustFetch(t, c, "k", false, f)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 0)
	})
}

func TestCacheFirstLevel(t *testing.T) {
	setup := func(t *testing.T) (*clocktest.Clock, *probeBackend, *cache.Cache) {
		clock := clocktest.New()
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0)}
		return clock, probe, newTestCache(t, clock, cache.Config{Backend: probe, L1TTL: 10 * time.Second})
	}

	t.Run("a hit within L1TTL does not ask the backend", func(t *testing.T) {
		clock, probe, c := setup(t)
		f := newFiller("body", freshFor)
		mustFetch(t, c, "k", false, f)
		before := probe.calls.Load()
		clock.Advance(9 * time.Second)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 9*time.Second)
		if got := probe.calls.Load() - before; got != 0 {
			t.Fatalf("got %d backend calls, want 0", got)
		}
	})

	t.Run("after L1TTL the backend is asked again", func(t *testing.T) {
		clock, probe, c := setup(t)
		f := newFiller("body", freshFor)
		mustFetch(t, c, "k", false, f)
		before := probe.calls.Load()
		clock.Advance(10 * time.Second)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 10*time.Second)
		if got := probe.calls.Load() - before; got != 1 {
			t.Fatalf("got %d backend calls, want 1", got)
		}
	})

	t.Run("revalidation skips the first level too", func(t *testing.T) {
		_, _, c := setup(t)
		f := newFiller("one", freshFor)
		mustFetch(t, c, "k", false, f)
		f.answer("two")
		assertResult(t, mustFetch(t, c, "k", true, f), cache.StatusBypass, "two", 0)
		assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "two", 0)
	})
}
