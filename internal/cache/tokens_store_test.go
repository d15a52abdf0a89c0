package cache_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// tokenStore is the behaviour every token store shares; it is the method set
// of callwidget.TokenStore (tokens_memory_test.go checks that at compile time).
type tokenStore interface {
	Get(ctx context.Context, key string) (domain.Secret, int64, error)
	CompareAndSwap(ctx context.Context, key string, prev int64, value domain.Secret) (int64, bool, error)
	Delete(ctx context.Context, key string, version int64) error
	Lock(ctx context.Context, key string, ttl time.Duration) (func(), error)
}

// lockTTL is long enough to never expire during a test that does not mean it
// to, short enough that a test of expiry stays fast.
const (
	lockTTL      = time.Minute
	shortLockTTL = 30 * time.Millisecond
	// blockedFor is how long a test lets a Lock call try before concluding
	// that it is excluded. A lock that does not exclude returns at once, so
	// the wait only bounds the passing case.
	blockedFor = 30 * time.Millisecond
)

// testTokenStore is the conformance suite for token stores: the memory store
// runs it here, the Redis store runs it against a real Redis. newStore must
// return an empty store.
func testTokenStore(t *testing.T, newStore func(t *testing.T) tokenStore) {
	t.Helper()
	t.Run("values and versions", func(t *testing.T) { testTokenStoreValues(t, newStore) })
	t.Run("locks", func(t *testing.T) { testTokenStoreLocks(t, newStore) })
}

func testTokenStoreValues(t *testing.T, newStore func(t *testing.T) tokenStore) {
	ctx := context.Background()

	t.Run("a missing key reads as version 0 and no value", func(t *testing.T) {
		s := newStore(t)
		v, ver, err := s.Get(ctx, "k")
		if err != nil || ver != 0 || v != "" {
			t.Fatalf("Get = %q, %d, %v; want \"\", 0, nil", v.Reveal(), ver, err)
		}
	})

	t.Run("a swap from version 0 creates the key with a positive version", func(t *testing.T) {
		s := newStore(t)
		ver := mustSwap(t, s, "k", 0, "one")
		if ver <= 0 {
			t.Fatalf("got version %d, want > 0", ver)
		}
		assertStored(t, s, "k", "one", ver)
	})

	t.Run("a swap from the current version replaces the value and raises the version", func(t *testing.T) {
		s := newStore(t)
		v1 := mustSwap(t, s, "k", 0, "one")
		v2 := mustSwap(t, s, "k", v1, "two")
		if v2 <= v1 {
			t.Fatalf("got version %d after %d, want it greater", v2, v1)
		}
		assertStored(t, s, "k", "two", v2)
	})

	t.Run("a swap from a stale version changes nothing and reports the current version", func(t *testing.T) {
		s := newStore(t)
		v1 := mustSwap(t, s, "k", 0, "one")
		v2 := mustSwap(t, s, "k", v1, "two")
		for _, prev := range []int64{0, v1, v2 + 100} {
			got, ok, err := s.CompareAndSwap(ctx, "k", prev, "stale")
			if err != nil || ok || got != v2 {
				t.Fatalf("CompareAndSwap(prev=%d) = %d, %v, %v; want %d, false, nil", prev, got, ok, err, v2)
			}
		}
		assertStored(t, s, "k", "two", v2)
	})

	t.Run("delete at the current version removes the key", func(t *testing.T) {
		s := newStore(t)
		v1 := mustSwap(t, s, "k", 0, "one")
		if err := s.Delete(ctx, "k", v1); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertStored(t, s, "k", "", 0)
	})

	t.Run("delete at a stale version keeps the newer value", func(t *testing.T) {
		s := newStore(t)
		v1 := mustSwap(t, s, "k", 0, "one")
		v2 := mustSwap(t, s, "k", v1, "two")
		if err := s.Delete(ctx, "k", v1); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertStored(t, s, "k", "two", v2)
	})

	t.Run("a version is never reused after a delete", func(t *testing.T) {
		s := newStore(t)
		v1 := mustSwap(t, s, "k", 0, "one")
		if err := s.Delete(ctx, "k", v1); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		v2 := mustSwap(t, s, "k", 0, "two")
		if v2 <= v1 {
			t.Fatalf("got version %d after deleting %d, want it greater", v2, v1)
		}
		// A writer still holding v1 must not overwrite the new value.
		if _, ok, err := s.CompareAndSwap(ctx, "k", v1, "stale"); err != nil || ok {
			t.Fatalf("CompareAndSwap(prev=%d) = %v, %v; want false, nil", v1, ok, err)
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		s := newStore(t)
		va := mustSwap(t, s, "a", 0, "for a")
		vb := mustSwap(t, s, "b", 0, "for b")
		if err := s.Delete(ctx, "a", va); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertStored(t, s, "a", "", 0)
		assertStored(t, s, "b", "for b", vb)
	})

	t.Run("of many concurrent swaps from one version exactly one wins", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		var wg sync.WaitGroup
		wins := make(chan domain.Secret, n)
		for i := range n {
			wg.Go(func() {
				v := domain.Secret(string(rune('a' + i)))
				if _, ok, err := s.CompareAndSwap(ctx, "k", 0, v); err != nil {
					t.Errorf("CompareAndSwap: %v", err)
				} else if ok {
					wins <- v
				}
			})
		}
		wg.Wait()
		close(wins)
		var won []domain.Secret
		for v := range wins {
			won = append(won, v)
		}
		if len(won) != 1 {
			t.Fatalf("got %d winners, want 1", len(won))
		}
		got, _, err := s.Get(ctx, "k")
		if err != nil || got != won[0] {
			t.Fatalf("Get = %q, %v; want the winner %q", got.Reveal(), err, won[0].Reveal())
		}
	})

	t.Run("every method fails on a canceled context", func(t *testing.T) {
		s := newStore(t)
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Get(done, "k"); err == nil {
			t.Error("Get: got nil error, want one")
		}
		if _, _, err := s.CompareAndSwap(done, "k", 0, "v"); err == nil {
			t.Error("CompareAndSwap: got nil error, want one")
		}
		if err := s.Delete(done, "k", 1); err == nil {
			t.Error("Delete: got nil error, want one")
		}
		if _, err := s.Lock(done, "k", lockTTL); err == nil {
			t.Error("Lock: got nil error, want one")
		}
	})
}

func testTokenStoreLocks(t *testing.T, newStore func(t *testing.T) tokenStore) {
	ctx := context.Background()

	t.Run("a held lock excludes a second holder", func(t *testing.T) {
		s := newStore(t)
		unlock := mustLock(t, s, "k", lockTTL)
		defer unlock()
		assertExcluded(t, s, "k")
	})

	t.Run("unlock lets the next holder in", func(t *testing.T) {
		s := newStore(t)
		unlock := mustLock(t, s, "k", lockTTL)
		unlock()
		mustLock(t, s, "k", lockTTL)()
	})

	t.Run("a waiting holder gets the lock when it is released", func(t *testing.T) {
		s := newStore(t)
		unlock := mustLock(t, s, "k", lockTTL)
		got := make(chan error, 1)
		go func() {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			u, err := s.Lock(wctx, "k", lockTTL)
			if err == nil {
				u()
			}
			got <- err
		}()
		unlock()
		if err := <-got; err != nil {
			t.Fatalf("waiting Lock: %v, want nil", err)
		}
	})

	t.Run("locks on different keys do not exclude each other", func(t *testing.T) {
		s := newStore(t)
		defer mustLock(t, s, "a", lockTTL)()
		defer mustLock(t, s, "b", lockTTL)()
	})

	t.Run("a lock that is never released expires after its ttl", func(t *testing.T) {
		s := newStore(t)
		mustLock(t, s, "k", shortLockTTL) // never unlocked
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		unlock, err := s.Lock(wctx, "k", lockTTL)
		if err != nil {
			t.Fatalf("Lock after the ttl: %v, want nil", err)
		}
		unlock()
	})

	t.Run("a late unlock does not release the next holder's lock", func(t *testing.T) {
		s := newStore(t)
		stale := mustLock(t, s, "k", shortLockTTL)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		unlock, err := s.Lock(wctx, "k", lockTTL)
		if err != nil {
			t.Fatalf("Lock after the ttl: %v, want nil", err)
		}
		defer unlock()
		stale()
		assertExcluded(t, s, "k")
	})

	t.Run("unlocking twice is harmless", func(t *testing.T) {
		s := newStore(t)
		unlock := mustLock(t, s, "k", lockTTL)
		unlock()
		again := mustLock(t, s, "k", lockTTL)
		defer again()
		unlock()
		assertExcluded(t, s, "k")
	})

	t.Run("a waiting holder gives up when its context ends", func(t *testing.T) {
		s := newStore(t)
		defer mustLock(t, s, "k", lockTTL)()
		wctx, cancel := context.WithTimeout(ctx, blockedFor)
		defer cancel()
		if _, err := s.Lock(wctx, "k", lockTTL); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock = %v, want context.DeadlineExceeded", err)
		}
	})
}

func mustSwap(t *testing.T, s tokenStore, key string, prev int64, v domain.Secret) int64 {
	t.Helper()
	ver, ok, err := s.CompareAndSwap(context.Background(), key, prev, v)
	if err != nil || !ok {
		t.Fatalf("CompareAndSwap(%q, prev=%d) = %d, %v, %v; want a swap", key, prev, ver, ok, err)
	}
	return ver
}

func assertStored(t *testing.T, s tokenStore, key string, want domain.Secret, wantVer int64) {
	t.Helper()
	got, ver, err := s.Get(context.Background(), key)
	if err != nil || got != want || ver != wantVer {
		t.Fatalf("Get(%q) = %q, %d, %v; want %q, %d, nil", key, got.Reveal(), ver, err, want.Reveal(), wantVer)
	}
}

func mustLock(t *testing.T, s tokenStore, key string, ttl time.Duration) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx, key, ttl)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return unlock
}

// assertExcluded checks that nobody else can take key's lock right now.
func assertExcluded(t *testing.T, s tokenStore, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
	defer cancel()
	unlock, err := s.Lock(ctx, key, lockTTL)
	if err == nil {
		unlock()
		t.Fatalf("second Lock(%q) succeeded while the lock was held, want it to wait", key)
	}
}
