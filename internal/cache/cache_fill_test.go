package cache_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

// slowFill is longer than the fixed 3 s a waiting replica used to give the
// replica filling a key: an upstream that slow is legal as long as it
// answers within the upstream timeout (FillTimeout).
const slowFill = 3500 * time.Millisecond

func TestCacheWaiterWaitsForASlowFillOnAnotherReplica(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	clock := clocktest.New()
	cfg := cache.Config{FillTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond}
	cfg.Backend = cache.NewRedisBackend(rdb, prefix)
	a := newTestCache(t, clock, cfg)
	b := newTestCache(t, clock, cfg)

	// One upstream behind both replicas: fa and fb count its requests.
	fa, fb := newFiller("from a", freshFor), newFiller("from b", freshFor)
	fa.started = make(chan struct{})
	release := make(chan struct{})
	fa.gate = release
	time.AfterFunc(slowFill, func() { close(release) })

	aDone := make(chan error, 1)
	go func() {
		_, err := a.Fetch(context.Background(), "k", false, fa.fill)
		aDone <- err
	}()
	<-fa.started

	start := time.Now()
	res, err := b.Fetch(context.Background(), "k", false, fb.fill)
	waited := time.Since(start)
	if err != nil {
		t.Fatalf("b: got error %v, want a's entry", err)
	}
	if err := <-aDone; err != nil {
		t.Fatalf("a: got error %v, want its fill", err)
	}
	assertResult(t, res, cache.StatusMiss, "from a", 0)
	if got := fa.calls.Load() + fb.calls.Load(); got != 1 {
		t.Errorf("got %d upstream requests for one miss, want 1", got)
	}
	if waited < slowFill/2 {
		t.Errorf("b returned after %v, want it to have waited for a's fill", waited)
	}
}
