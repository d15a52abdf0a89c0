package idempotency

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"
)

// sweepEvery is how often Memory drops expired items. Between sweeps
// expired items are only skipped, so memory holds at most the keys of the
// last day plus one sweep interval.
const sweepEvery = time.Minute

// Memory is a Store in process memory, for a single replica with no Redis
// configured. Leases and expiry follow the injected clock. It is safe for
// concurrent use; build it with NewMemory.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	items     map[string]memoryItem
	lastSweep time.Time
}

// memoryItem is a claim (completed false) or a completed record, both held
// by owner.
type memoryItem struct {
	owner      string
	completed  bool
	claimHash  string
	leaseUntil time.Time
	rec        Record
	expires    time.Time
}

// NewMemory returns an empty store that reads time from now (time.Now when
// nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, items: make(map[string]memoryItem)}
}

// Begin claims key or reports what holds it.
func (m *Memory) Begin(ctx context.Context, key, bodyHash string, lease, keep time.Duration) (BeginResult, error) {
	if err := ctx.Err(); err != nil {
		return BeginResult{}, err
	}
	if err := checkTerms(lease, keep); err != nil {
		return BeginResult{}, err
	}
	k := storedKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
	if it, ok := m.liveLocked(k, now); ok {
		if it.completed {
			res := judgeRecord(bodyHash, it.rec)
			res.Record = cloneRecord(res.Record)
			return res, nil
		}
		return judgeClaim(bodyHash, it.claimHash, now.Before(it.leaseUntil)), nil
	}
	owner := newOwner()
	m.items[k] = memoryItem{owner: owner, claimHash: bodyHash, leaseUntil: now.Add(lease), expires: now.Add(keep)}
	return BeginResult{Outcome: Claimed, Owner: owner}, nil
}

// Complete stores a copy of rec in place of owner's claim.
func (m *Memory) Complete(ctx context.Context, key, owner string, rec Record, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if keep <= 0 {
		return errors.New("idempotency: memory complete: keep must be positive")
	}
	if !validOwner(owner) {
		return ErrNotOwner
	}
	k := storedKey(key)
	now := m.now()
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.liveLocked(k, now); ok {
		if it.owner != owner {
			return ErrNotOwner
		}
		if it.completed {
			return nil
		}
	}
	m.items[k] = memoryItem{owner: owner, completed: true, rec: cloneRecord(rec), expires: now.Add(keep)}
	return nil
}

// Release drops owner's claim, leaving a record alone.
func (m *Memory) Release(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validOwner(owner) {
		return ErrNotOwner
	}
	k := storedKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.liveLocked(k, m.now())
	switch {
	case !ok:
		return nil
	case it.owner != owner:
		return ErrNotOwner
	case !it.completed:
		delete(m.items, k)
	}
	return nil
}

// liveLocked returns k's item unless it expired; m.mu must be held.
func (m *Memory) liveLocked(k string, now time.Time) (memoryItem, bool) {
	it, ok := m.items[k]
	if !ok || !now.Before(it.expires) {
		return memoryItem{}, false
	}
	return it, true
}

// sweepLocked drops expired items at most once per sweepEvery; m.mu must be
// held.
func (m *Memory) sweepLocked(now time.Time) {
	if now.Sub(m.lastSweep) < sweepEvery {
		return
	}
	m.lastSweep = now
	for k, it := range m.items {
		if !now.Before(it.expires) {
			delete(m.items, k)
		}
	}
}

// cloneRecord copies the parts of r a caller could modify.
func cloneRecord(r Record) Record {
	r.Header = maps.Clone(r.Header)
	if r.Body != nil {
		r.Body = append([]byte(nil), r.Body...)
	}
	return r
}
