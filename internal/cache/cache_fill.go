package cache

import (
	"context"
	"fmt"
	"time"
)

// lockMargin is how much longer a fill lock lives than the fill it guards,
// so that the lock never runs out under a fill that is still allowed to
// finish and store.
const lockMargin = 2 * time.Second

// fillOnce is the body of the singleflight shared by every concurrent
// Fetch of key in this process; seen and found are the leader's view of
// the stored entry. It coordinates with other replicas, calls fill, and
// stores the result.
func (c *Cache) fillOnce(caller context.Context, key string, seen Entry, found bool, fill Filler) (e Entry, err error) {
	// A panicking fill must not take the process down: singleflight
	// re-panics in a goroutine of its own, where nothing can recover.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: fill panicked: %v", p)
		}
	}()
	detached := context.WithoutCancel(caller)
	// Waiting for another replica's fill has its own deadline: as long as
	// that fill may take, so that the wait does not eat this replica's own
	// fill time if it ends up filling after all.
	claimCtx, cancelClaim := context.WithTimeout(detached, c.fillWait())
	stored, done, token := c.claim(claimCtx, key, seen, found)
	cancelClaim()
	if done {
		return stored, nil
	}
	ctx, cancel := context.WithTimeout(detached, c.fillTTL)
	defer cancel()
	// Storing and unlocking get their own time even when the fill used all
	// of its own: a fill that succeeded late is still worth keeping, and a
	// lock left behind would make other replicas wait for it to expire.
	after := context.WithoutCancel(ctx)
	if token != "" {
		defer c.unlock(after, key, token)
	}
	e, err = fill.Fill(ctx)
	if err != nil {
		return Entry{}, err
	}
	e.ETag = ETag(e.Body)
	e.StoredAt = c.now()
	e.ready = nil // Header or Body may differ from an entry the fill reused
	e = e.withReady()
	if e.FreshFor > 0 {
		c.set(after, key, e)
		c.keepLocal(key, e)
	}
	return e, nil
}

// claim decides who fills key. It returns done with the entry another
// replica stored since the leader looked (seen), or permission to fill:
// holding the lock when token is set, without it when the backend failed
// or the lock holder did not store within fillWait.
//
// After taking the lock claim reads once more, because the previous holder
// may have stored and unlocked between the leader's read and the lock;
// that read is what makes one fill per burst hold across replicas.
func (c *Cache) claim(ctx context.Context, key string, seen Entry, found bool) (stored Entry, done bool, token string) {
	deadline := time.Now().Add(c.fillWait())
	for {
		token, ok, err := c.tryLock(ctx, key)
		if err != nil {
			return Entry{}, false, ""
		}
		if ok {
			if e, newer, _ := c.newer(ctx, key, seen, found); newer {
				c.unlock(ctx, key, token)
				return e, true, ""
			}
			return Entry{}, false, token
		}
		// Another replica is filling: wait for its entry, and take over
		// if it gives up the lock without storing (its fill failed).
		if !time.Now().Before(deadline) || !sleep(ctx, c.poll) {
			return Entry{}, false, ""
		}
		e, newer, err := c.newer(ctx, key, seen, found)
		if newer {
			return e, true, ""
		}
		if err != nil {
			return Entry{}, false, ""
		}
	}
}

// fillWait is how long a replica that lost the fill lock waits for the
// winner: as long as the winner's fill may take and its lock may live. A
// shorter wait would send a second request to a slow upstream for the same
// miss; past it, the lock has expired anyway and the wait ends by taking it.
func (c *Cache) fillWait() time.Duration { return c.fillTTL + lockMargin }

// newer reads key and reports whether it now holds a fresh entry other than
// the one seen before.
func (c *Cache) newer(ctx context.Context, key string, seen Entry, found bool) (Entry, bool, error) {
	e, ok, err := c.get(ctx, key)
	if err != nil || !ok || !e.fresh(c.now()) {
		return Entry{}, false, err
	}
	if found && e.StoredAt.Equal(seen.StoredAt) && e.ETag == seen.ETag {
		return Entry{}, false, nil
	}
	c.keepLocal(key, e)
	return e, true, nil
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// The guarded backend calls. Their errors are deliberately dropped by the
// callers above: a cache that cannot be read or written is an empty cache.

func (c *Cache) get(ctx context.Context, key string) (e Entry, ok bool, err error) {
	if c.local { // memory never fails or hangs: no timeout, no cooldown
		return c.backend.Get(ctx, key)
	}
	err = c.health.Do(ctx, func(ctx context.Context) error {
		e, ok, err = c.backend.Get(ctx, key)
		return err
	})
	return e, ok, err
}

func (c *Cache) set(ctx context.Context, key string, e Entry) {
	_ = c.health.Do(ctx, func(ctx context.Context) error {
		return c.backend.Set(ctx, key, e, e.FreshFor+c.staleFor)
	})
}

func (c *Cache) tryLock(ctx context.Context, key string) (token string, ok bool, err error) {
	err = c.health.Do(ctx, func(ctx context.Context) error {
		token, ok, err = c.backend.TryLock(ctx, key, c.fillTTL+lockMargin)
		return err
	})
	return token, ok, err
}

func (c *Cache) unlock(ctx context.Context, key, token string) {
	_ = c.health.Do(ctx, func(ctx context.Context) error {
		return c.backend.Unlock(ctx, key, token)
	})
}

// keepLocal copies a fresh entry into the first-level cache, for at most
// L1TTL and never past its freshness.
func (c *Cache) keepLocal(key string, e Entry) {
	if c.l1 == nil {
		return
	}
	keep := min(c.l1TTL, e.FreshFor-e.age(c.now()))
	if keep > 0 {
		_ = c.l1.Set(context.Background(), key, e, keep)
	}
}
