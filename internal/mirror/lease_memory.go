package mirror

import (
	"context"
	"fmt"
	"time"
)

// memLease is an account's lease in a MemoryStore: free when fence is 0 or
// the clock reached expires.
type memLease struct {
	fence   int64
	owner   string
	expires time.Time
}

// heldBy reports whether fence is the token of a lease still live at now.
func (l memLease) heldBy(fence int64, now time.Time) bool {
	return l.fence != 0 && l.fence == fence && now.Before(l.expires)
}

// live reports whether any lease is held at now.
func (l memLease) live(now time.Time) bool {
	return l.fence != 0 && now.Before(l.expires)
}

// checkLeaseTTL refuses a lease that would expire at once (or never).
func checkLeaseTTL(ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("mirror: lease ttl %v is under a millisecond", ttl)
	}
	return nil
}

// Acquire implements Leases. Tokens of an account start at 1 and grow by
// one with every grant, whichever owner it goes to.
func (s *MemoryStore) Acquire(_ context.Context, account, owner string, ttl time.Duration) (int64, bool, error) {
	if err := checkLeaseTTL(ttl); err != nil {
		return 0, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	now := s.now()
	if a.lease.live(now) {
		return 0, false, nil
	}
	a.fences++
	a.lease = memLease{fence: a.fences, owner: owner, expires: now.Add(ttl)}
	return a.fences, true, nil
}

// Renew implements Leases.
func (s *MemoryStore) Renew(_ context.Context, account string, fence int64, ttl time.Duration) (bool, error) {
	if err := checkLeaseTTL(ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	now := s.now()
	if !a.lease.heldBy(fence, now) {
		return false, nil
	}
	a.lease.expires = now.Add(ttl)
	return true, nil
}

// Release implements Leases. Releasing a lease that is no longer fence's
// does nothing.
func (s *MemoryStore) Release(_ context.Context, account string, fence int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if a.lease.heldBy(fence, s.now()) {
		a.lease = memLease{}
	}
	return nil
}
