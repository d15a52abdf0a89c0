package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a Store held in process memory: the budget of a single
// replica, and the per-replica fallback of a Budget whose shared store is
// unreachable. It is safe for concurrent use; its zero value is not, use
// NewMemoryStore.
//
// An account's state is dropped as soon as its window is empty and its pause
// over (checked whenever the account is used), so memory stays proportional
// to the accounts in use; an account that is never used again keeps at most
// limit timestamps.
type MemoryStore struct {
	now      func() time.Time
	mu       sync.Mutex
	accounts map[string]*memoryAccount
}

// memoryAccount is one account's window: admission times in ascending order
// and the end of its pause.
type memoryAccount struct {
	admissions  []time.Time
	pausedUntil time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store reading the time from now (nil means
// time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, accounts: make(map[string]*memoryAccount)}
}

// Admit implements Store.
func (m *MemoryStore) Admit(_ context.Context, account string, limit int, window time.Duration) (Decision, error) {
	if err := checkArgs(limit, window); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: admit: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	a := m.account(account, now, window)
	if a.pausedUntil.After(now) || len(a.admissions) >= limit {
		return a.snapshot(now, false, limit).decision(limit, window), nil
	}
	// Insert in order rather than append, so that the slice stays sorted
	// (and trimming from the front correct) even if the clock stepped back.
	i, _ := slices.BinarySearchFunc(a.admissions, now, time.Time.Compare)
	a.admissions = slices.Insert(a.admissions, i, now)
	return a.snapshot(now, true, limit).decision(limit, window), nil
}

// Pause implements Store.
func (m *MemoryStore) Pause(_ context.Context, account string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	a, ok := m.accounts[account]
	if !ok {
		a = &memoryAccount{}
		m.accounts[account] = a
	}
	if until := now.Add(d); until.After(a.pausedUntil) {
		a.pausedUntil = until
	}
	return nil
}

// Peek implements Store.
func (m *MemoryStore) Peek(_ context.Context, account string, limit int, window time.Duration) (Decision, error) {
	if err := checkArgs(limit, window); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: peek: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	a, ok := m.accounts[account]
	if !ok {
		return snapshot{now: now}.decision(limit, window), nil
	}
	a.trim(now, window)
	s := a.snapshot(now, false, limit)
	m.forgetIfIdle(account, a, now)
	return s.decision(limit, window), nil
}

// account returns account's state trimmed to the window ending at now,
// creating it if needed. m.mu must be held.
func (m *MemoryStore) account(account string, now time.Time, window time.Duration) *memoryAccount {
	a, ok := m.accounts[account]
	if !ok {
		a = &memoryAccount{}
		m.accounts[account] = a
	}
	a.trim(now, window)
	return a
}

// forgetIfIdle drops the state of an account that holds nothing any more.
// m.mu must be held.
func (m *MemoryStore) forgetIfIdle(account string, a *memoryAccount, now time.Time) {
	if len(a.admissions) == 0 && !a.pausedUntil.After(now) {
		delete(m.accounts, account)
	}
}

// trim drops admissions outside the window (now-window, now].
func (a *memoryAccount) trim(now time.Time, window time.Duration) {
	cutoff := now.Add(-window)
	n := 0
	for n < len(a.admissions) && !a.admissions[n].After(cutoff) {
		n++
	}
	if n > 0 {
		a.admissions = slices.Delete(a.admissions, 0, n)
	}
}

// snapshot describes a's trimmed window at now.
func (a *memoryAccount) snapshot(now time.Time, admitted bool, limit int) snapshot {
	s := snapshot{now: now, admitted: admitted, count: len(a.admissions), pausedUntil: a.pausedUntil}
	if s.count > 0 {
		s.oldest = a.admissions[0]
	}
	if s.count >= limit {
		s.freeing = a.admissions[s.count-limit]
	}
	return s
}
