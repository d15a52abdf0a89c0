package cache

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"
)

// sweepEvery is how often MemoryIdempotency drops expired items. Between
// sweeps expired items are only skipped, so memory holds at most the keys
// of the last day plus one sweep interval.
const sweepEvery = time.Minute

// MemoryIdempotency is an IdempotencyStore in process memory, for a single
// replica with no Redis configured. Expiry follows the injected clock. It
// is safe for concurrent use; build it with NewMemoryIdempotency.
type MemoryIdempotency struct {
	now func() time.Time

	mu        sync.Mutex
	items     map[string]idempotencyItem
	lastSweep time.Time
}

// idempotencyItem is a claim (inFlight, claimHash) or a completed record.
type idempotencyItem struct {
	inFlight  bool
	claimHash string
	rec       Record
	expires   time.Time
}

// NewMemoryIdempotency returns an empty store that reads time from now
// (time.Now when nil).
func NewMemoryIdempotency(now func() time.Time) *MemoryIdempotency {
	if now == nil {
		now = time.Now
	}
	return &MemoryIdempotency{now: now, items: make(map[string]idempotencyItem)}
}

// Begin claims key or reports what holds it.
func (m *MemoryIdempotency) Begin(ctx context.Context, key, bodyHash string, inflightTTL time.Duration) (BeginResult, error) {
	if err := ctx.Err(); err != nil {
		return BeginResult{}, err
	}
	if inflightTTL <= 0 {
		return BeginResult{}, errors.New("cache: memory idempotency begin: inflightTTL must be positive")
	}
	k := idempotencyKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
	if it, ok := m.items[k]; ok && now.Before(it.expires) {
		res := judge(bodyHash, it.inFlight, it.claimHash, it.rec)
		res.Record = cloneRecord(res.Record)
		return res, nil
	}
	m.items[k] = idempotencyItem{inFlight: true, claimHash: bodyHash, expires: now.Add(inflightTTL)}
	return BeginResult{Outcome: BeginClaimed}, nil
}

// Complete stores a copy of rec unless a record is already completed.
func (m *MemoryIdempotency) Complete(ctx context.Context, key string, rec Record, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if keep <= 0 {
		return errors.New("cache: memory idempotency complete: keep must be positive")
	}
	k := idempotencyKey(key)
	now := m.now()
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.items[k]; ok && !it.inFlight && now.Before(it.expires) {
		return nil
	}
	m.items[k] = idempotencyItem{rec: cloneRecord(rec), expires: now.Add(keep)}
	return nil
}

// Release drops key's claim, leaving a completed record alone.
func (m *MemoryIdempotency) Release(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := idempotencyKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.items[k]; ok && it.inFlight {
		delete(m.items, k)
	}
	return nil
}

// sweepLocked drops expired items at most once per sweepEvery; m.mu must be
// held.
func (m *MemoryIdempotency) sweepLocked(now time.Time) {
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
