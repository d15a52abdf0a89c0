package cache_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

// fetchConcurrently runs n Fetches of key on c and returns their results.
func fetchConcurrently(t *testing.T, c *cache.Cache, key string, n int, f *filler) []cache.Result {
	t.Helper()
	results := make([]cache.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := c.Fetch(context.Background(), key, false, f.fill)
			if err != nil {
				t.Errorf("Fetch: %v", err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	return results
}

// closeAt returns an onMiss hook that closes ch once n misses happened.
func closeAt(n int64, ch chan struct{}) func(int64) {
	return func(got int64) {
		if got == n {
			close(ch)
		}
	}
}

// gateOrTimeout is a fill gate that opens when ch closes or after two
// seconds, so that a broken implementation fails its assertions instead of
// hanging the test.
func gateOrTimeout(ch <-chan struct{}) <-chan struct{} {
	gate := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
		}
		close(gate)
	}()
	return gate
}

func TestCacheCoalescesMisses(t *testing.T) {
	t.Run("thirty concurrent misses in one process make one fill", func(t *testing.T) {
		clock := clocktest.New()
		// The backend cannot exclude, so only in-process coalescing keeps
		// the fills to one. The fill answers once every caller has missed
		// (30 first reads, plus the leader's read under the lock).
		allMissed := make(chan struct{})
		probe := &probeBackend{inner: cache.NewMemoryBackend(clock.Now, 0), noLocks: true, onMiss: closeAt(31, allMissed)}
		c := newTestCache(t, clock, cache.Config{Backend: probe})
		f := newFiller("body", freshFor)
		f.gate = gateOrTimeout(allMissed)
		for _, res := range fetchConcurrently(t, c, "k", 30, f) {
			assertResult(t, res, cache.StatusMiss, "body", 0)
		}
		assertFills(t, f, 1)
	})

	t.Run("three replicas on one Redis with ten misses each make one fill", func(t *testing.T) {
		rdb, prefix := cacheTestRedis(t)
		allMissed := make(chan struct{})
		var mu sync.Mutex
		var misses int64
		onMiss := func(int64) {
			mu.Lock()
			defer mu.Unlock()
			misses++
			if misses == 30 {
				close(allMissed)
			}
		}
		f := newFiller("body", freshFor)
		f.gate = gateOrTimeout(allMissed)
		var replicas []*cache.Cache
		for range 3 {
			probe := &probeBackend{inner: cache.NewRedisBackend(rdb, prefix), onMiss: onMiss}
			c, err := cache.New(cache.Config{Backend: probe, PollInterval: 10 * time.Millisecond})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			replicas = append(replicas, c)
		}
		var wg sync.WaitGroup
		for _, c := range replicas {
			wg.Go(func() {
				for _, res := range fetchConcurrently(t, c, "k", 10, f) {
					if string(res.Entry.Body) != "body" || res.Status == cache.StatusStale {
						t.Errorf("got %s %q, want body", res.Status, res.Entry.Body)
					}
				}
			})
		}
		wg.Wait()
		assertFills(t, f, 1)
	})
}

func TestCacheAcrossReplicas(t *testing.T) {
	// Two Caches sharing one memory backend stand for two replicas sharing
	// Redis: the backend's lock is the only thing they share.
	setup := func(t *testing.T) (a, b *cache.Cache, fa, fb *filler, lost chan struct{}) {
		clock := clocktest.New()
		lost = make(chan struct{}, 1)
		shared := cache.NewMemoryBackend(clock.Now, 0)
		probe := &probeBackend{inner: shared, onLockLost: func() {
			select {
			case lost <- struct{}{}:
			default:
			}
		}}
		a = newTestCache(t, clock, cache.Config{Backend: shared})
		b = newTestCache(t, clock, cache.Config{Backend: probe, PollInterval: time.Millisecond})
		fa, fb = newFiller("from a", freshFor), newFiller("from b", freshFor)
		fa.started = make(chan struct{})
		return a, b, fa, fb, lost
	}

	for _, tc := range []struct {
		name     string
		aFails   bool
		wantBody string
		wantB    int64
	}{
		{"a replica that lost the lock serves the winner's entry", false, "from a", 0},
		{"a replica that lost the lock fills itself as soon as the winner fails", true, "from b", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, fa, fb, lost := setup(t)
			release := make(chan struct{})
			fa.gate = release
			if tc.aFails {
				fa.failWith(errors.New("upstream down"))
			}
			aDone := make(chan struct{})
			go func() {
				defer close(aDone)
				a.Fetch(context.Background(), "k", false, fa.fill)
			}()
			<-fa.started

			// b waits far less than its fill wait: only seeing a's entry
			// or a's lock go can end it in time.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			type outcome struct {
				res cache.Result
				err error
			}
			bDone := make(chan outcome, 1)
			go func() {
				res, err := b.Fetch(ctx, "k", false, fb.fill)
				bDone <- outcome{res, err}
			}()
			<-lost
			close(release)
			<-aDone
			got := <-bDone
			if got.err != nil {
				t.Fatalf("b: got error %v, want %q", got.err, tc.wantBody)
			}
			assertResult(t, got.res, cache.StatusMiss, tc.wantBody, 0)
			assertFills(t, fb, tc.wantB)
		})
	}
}

func TestCacheDetachesTheFillFromItsCaller(t *testing.T) {
	clock := clocktest.New()
	c := newTestCache(t, clock, cache.Config{})
	f := newFiller("body", freshFor)
	release := make(chan struct{})
	f.gate = release
	f.started = make(chan struct{})

	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, "k", false, f.fill)
		firstErr <- err
	}()
	<-f.started
	second := make(chan cache.Result, 1)
	go func() { second <- mustFetch(t, c, "k", false, f) }()

	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: got %v, want context.Canceled", err)
	}
	close(release)
	res := <-second
	if string(res.Entry.Body) != "body" {
		t.Fatalf("other caller: got %s %q, want body", res.Status, res.Entry.Body)
	}
	assertFills(t, f, 1)
	assertResult(t, mustFetch(t, c, "k", false, f), cache.StatusHit, "body", 0)
}
