package cache_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

// backendHarness is one Backend under test and a way to let time pass for
// it: the memory harness moves its clock, the Redis harness does nothing
// (Redis expires keys on its own clock, which the suite polls).
type backendHarness struct {
	backend cache.Backend
	elapse  func(d time.Duration)
}

// shortTTL is short enough for a real Redis expiry to keep tests fast.
const shortTTL = 40 * time.Millisecond

// testBackend is the conformance suite every cache Backend passes. newBackend
// must return an empty backend.
func testBackend(t *testing.T, newBackend func(t *testing.T) backendHarness) {
	t.Helper()
	t.Run("entries", func(t *testing.T) { testBackendEntries(t, newBackend) })
	t.Run("locks", func(t *testing.T) { testBackendLocks(t, newBackend) })
}

func sampleEntry(body string) cache.Entry {
	return cache.Entry{
		Body:     []byte(body),
		ETag:     cache.ETag([]byte(body)),
		Header:   map[string]string{"Link": `</v1/calls?cursor=abc>; rel="next"`, "X-Next-Cursor": "abc"},
		StoredAt: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC),
		FreshFor: 5 * time.Minute,
	}
}

func assertEntry(t *testing.T, got, want cache.Entry) {
	t.Helper()
	if !bytes.Equal(got.Body, want.Body) {
		t.Errorf("got body %q, want %q", got.Body, want.Body)
	}
	if got.ETag != want.ETag {
		t.Errorf("got ETag %q, want %q", got.ETag, want.ETag)
	}
	if len(got.Header) != 0 || len(want.Header) != 0 {
		if !maps.Equal(got.Header, want.Header) {
			t.Errorf("got header %v, want %v", got.Header, want.Header)
		}
	}
	if !got.StoredAt.Equal(want.StoredAt) {
		t.Errorf("got StoredAt %v, want %v", got.StoredAt, want.StoredAt)
	}
	if got.FreshFor != want.FreshFor {
		t.Errorf("got FreshFor %v, want %v", got.FreshFor, want.FreshFor)
	}
}

func mustGet(t *testing.T, b cache.Backend, key string) (cache.Entry, bool) {
	t.Helper()
	e, ok, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return e, ok
}

func mustSet(t *testing.T, b cache.Backend, key string, e cache.Entry, keep time.Duration) {
	t.Helper()
	if err := b.Set(context.Background(), key, e, keep); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func testBackendEntries(t *testing.T, newBackend func(t *testing.T) backendHarness) {
	ctx := context.Background()

	t.Run("a missing key is a miss without error", func(t *testing.T) {
		h := newBackend(t)
		if _, ok := mustGet(t, h.backend, "k"); ok {
			t.Fatal("got an entry, want none")
		}
	})

	t.Run("a stored entry reads back with its headers ready to write", func(t *testing.T) {
		h := newBackend(t)
		e := sampleEntry(`{"data":[],"next_cursor":"abc"}`)
		e.Header["x-lower-case"] = "v"
		mustSet(t, h.backend, "k", e, time.Minute)
		got, ok := mustGet(t, h.backend, "k")
		if !ok {
			t.Fatal("got no entry, want one")
		}
		want := http.Header{
			"Link":           {e.Header["Link"]},
			"X-Next-Cursor":  {"abc"},
			"X-Lower-Case":   {"v"},
			"Etag":           {e.ETag},
			"Content-Length": {strconv.Itoa(len(e.Body))},
		}
		if ready := got.ReadyHeader(); !reflect.DeepEqual(ready, want) {
			t.Errorf("got ready headers %v, want %v", ready, want)
		}
	})

	t.Run("a stored entry reads back field for field", func(t *testing.T) {
		h := newBackend(t)
		want := sampleEntry(`{"data":[],"next_cursor":"abc"}`)
		mustSet(t, h.backend, "k", want, time.Minute)
		got, ok := mustGet(t, h.backend, "k")
		if !ok {
			t.Fatal("got no entry, want one")
		}
		assertEntry(t, got, want)
	})

	t.Run("an entry without header or body reads back empty", func(t *testing.T) {
		h := newBackend(t)
		mustSet(t, h.backend, "k", cache.Entry{FreshFor: time.Second}, time.Minute)
		got, ok := mustGet(t, h.backend, "k")
		if !ok || len(got.Body) != 0 || len(got.Header) != 0 || !got.StoredAt.IsZero() {
			t.Fatalf("got %+v, %v; want an empty entry", got, ok)
		}
	})

	t.Run("a second set replaces the entry", func(t *testing.T) {
		h := newBackend(t)
		mustSet(t, h.backend, "k", sampleEntry("one"), time.Minute)
		mustSet(t, h.backend, "k", sampleEntry("two"), time.Minute)
		got, _ := mustGet(t, h.backend, "k")
		if string(got.Body) != "two" {
			t.Fatalf("got body %q, want %q", got.Body, "two")
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		h := newBackend(t)
		mustSet(t, h.backend, "a", sampleEntry("for a"), time.Minute)
		if _, ok := mustGet(t, h.backend, "b"); ok {
			t.Fatal("got an entry under b, want none")
		}
	})

	t.Run("an entry is kept until keep runs out", func(t *testing.T) {
		h := newBackend(t)
		mustSet(t, h.backend, "k", sampleEntry("body"), time.Minute)
		h.elapse(59 * time.Second)
		if _, ok := mustGet(t, h.backend, "k"); !ok {
			t.Fatal("got no entry before keep ran out, want one")
		}
	})

	t.Run("an entry is gone once keep has run out", func(t *testing.T) {
		h := newBackend(t)
		mustSet(t, h.backend, "k", sampleEntry("body"), shortTTL)
		h.elapse(shortTTL)
		clocktest.Eventually(t, 2*time.Second, "entry expired", func() bool {
			_, ok := mustGet(t, h.backend, "k")
			return !ok
		})
	})

	t.Run("a non-positive keep is refused", func(t *testing.T) {
		h := newBackend(t)
		for _, keep := range []time.Duration{0, -time.Second} {
			if err := h.backend.Set(ctx, "k", sampleEntry("body"), keep); err == nil {
				t.Errorf("Set(keep=%v): got nil error, want one", keep)
			}
		}
	})
}

func mustTryLock(t *testing.T, b cache.Backend, key string, ttl time.Duration) (string, bool) {
	t.Helper()
	token, ok, err := b.TryLock(context.Background(), key, ttl)
	if err != nil {
		t.Fatalf("TryLock(%q): %v", key, err)
	}
	if ok && token == "" {
		t.Fatalf("TryLock(%q): got an empty token with the lock", key)
	}
	return token, ok
}

func mustUnlock(t *testing.T, b cache.Backend, key, token string) {
	t.Helper()
	if err := b.Unlock(context.Background(), key, token); err != nil {
		t.Fatalf("Unlock(%q): %v", key, err)
	}
}

func testBackendLocks(t *testing.T, newBackend func(t *testing.T) backendHarness) {
	t.Run("a held lock excludes a second holder", func(t *testing.T) {
		h := newBackend(t)
		if _, ok := mustTryLock(t, h.backend, "k", time.Minute); !ok {
			t.Fatal("first TryLock: got false, want true")
		}
		if _, ok := mustTryLock(t, h.backend, "k", time.Minute); ok {
			t.Fatal("second TryLock: got true, want false")
		}
	})

	t.Run("locks of different keys are independent", func(t *testing.T) {
		h := newBackend(t)
		mustTryLock(t, h.backend, "a", time.Minute)
		if _, ok := mustTryLock(t, h.backend, "b", time.Minute); !ok {
			t.Fatal("TryLock(b) while a is held: got false, want true")
		}
	})

	t.Run("unlock with another token leaves the lock held", func(t *testing.T) {
		h := newBackend(t)
		mustTryLock(t, h.backend, "k", time.Minute)
		mustUnlock(t, h.backend, "k", "not-the-token")
		if _, ok := mustTryLock(t, h.backend, "k", time.Minute); ok {
			t.Fatal("TryLock after a foreign unlock: got true, want false")
		}
	})

	t.Run("unlock with the holder's token frees the lock", func(t *testing.T) {
		h := newBackend(t)
		token, _ := mustTryLock(t, h.backend, "k", time.Minute)
		mustUnlock(t, h.backend, "k", token)
		if _, ok := mustTryLock(t, h.backend, "k", time.Minute); !ok {
			t.Fatal("TryLock after unlock: got false, want true")
		}
	})

	t.Run("a lock frees itself after its ttl and a late unlock keeps the next holder's", func(t *testing.T) {
		h := newBackend(t)
		first, _ := mustTryLock(t, h.backend, "k", shortTTL)
		h.elapse(shortTTL)
		var second string
		clocktest.Eventually(t, 2*time.Second, "lock expired", func() bool {
			token, ok := mustTryLock(t, h.backend, "k", time.Minute)
			second = token
			return ok
		})
		if second == first {
			t.Fatalf("got the same token %q twice, want a new one", second)
		}
		mustUnlock(t, h.backend, "k", first)
		if _, ok := mustTryLock(t, h.backend, "k", time.Minute); ok {
			t.Fatal("TryLock after a late unlock: got true, want false")
		}
	})

	t.Run("twenty concurrent TryLocks make exactly one holder", func(t *testing.T) {
		h := newBackend(t)
		var holders atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, ok, err := h.backend.TryLock(context.Background(), "k", time.Minute)
				if err != nil {
					t.Errorf("TryLock: %v", err)
				}
				if ok {
					holders.Add(1)
				}
			})
		}
		wg.Wait()
		if got := holders.Load(); got != 1 {
			t.Fatalf("got %d holders, want 1", got)
		}
	})
}
