package cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

func TestMemoryBackend(t *testing.T) {
	testBackend(t, func(t *testing.T) backendHarness {
		clock := clocktest.New()
		return backendHarness{backend: cache.NewMemoryBackend(clock.Now, 0), elapse: clock.Advance}
	})
}

func TestMemoryBackendBound(t *testing.T) {
	body := strings.Repeat("x", 10_000)
	// Room for three entries of body, not four, whatever the bookkeeping
	// overhead per entry (well under 1 KB).
	const maxBytes = 35_000

	t.Run("beyond its bound it evicts the least recently used entry", func(t *testing.T) {
		b := cache.NewMemoryBackend(clocktest.New().Now, maxBytes)
		for _, k := range []string{"a", "b", "c"} {
			mustSet(t, b, k, cache.Entry{Body: []byte(body)}, time.Hour)
		}
		mustGet(t, b, "a") // a is now more recently used than b
		mustSet(t, b, "d", cache.Entry{Body: []byte(body)}, time.Hour)
		for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
			if _, got := mustGet(t, b, key); got != want {
				t.Errorf("entry %q kept: got %v, want %v", key, got, want)
			}
		}
	})

	t.Run("an entry larger than the bound is not kept and drops the older entry", func(t *testing.T) {
		b := cache.NewMemoryBackend(clocktest.New().Now, maxBytes)
		mustSet(t, b, "small", cache.Entry{Body: []byte("small")}, time.Hour)
		mustSet(t, b, "k", cache.Entry{Body: []byte("old")}, time.Hour)
		mustSet(t, b, "k", cache.Entry{Body: []byte(strings.Repeat(body, 4))}, time.Hour)
		if _, ok := mustGet(t, b, "k"); ok {
			t.Error("got an entry under k, want none")
		}
		if _, ok := mustGet(t, b, "small"); !ok {
			t.Error("got no entry under small, want it kept")
		}
	})
}

func TestMemoryBackendKeepsItsOwnCopy(t *testing.T) {
	b := cache.NewMemoryBackend(nil, 0)
	e := sampleEntry("original")
	mustSet(t, b, "k", e, time.Hour)
	e.Body[0] = 'X'
	e.Header["Link"] = "changed"
	got, _ := mustGet(t, b, "k")
	assertEntry(t, got, sampleEntry("original"))
}

func TestMemoryBackendRejectsANonPositiveLockTTL(t *testing.T) {
	b := cache.NewMemoryBackend(nil, 0)
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, _, err := b.TryLock(context.Background(), "k", ttl); err == nil {
			t.Errorf("TryLock(ttl=%v): got nil error, want one", ttl)
		}
	}
}
