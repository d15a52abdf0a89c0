package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"switchboard/internal/domain"
)

// MemoryTokens is a token store held in process memory: the store a single
// replica uses when no Redis is configured. It keeps each key's value as an
// opaque domain.Secret with a version, so it satisfies the token-store
// interface the CallWidget client declares (callwidget.TokenStore) without
// either package importing the other.
//
// Contract shared with the Redis store (see the conformance suite in
// tokens_store_test.go):
//   - version 0 means "absent"; every successful CompareAndSwap assigns a new
//     version greater than any version the key had before, even across a
//     Delete, so a version is never reused (no ABA);
//   - CompareAndSwap and Delete act only if the key is still at the version
//     the caller read;
//   - Lock is a mutual exclusion per key that lasts until unlock is called or
//     ttl elapses, whichever comes first; a late unlock never releases a
//     later holder's lock.
//
// Values are not encrypted: they never leave the process. A MemoryTokens is
// safe for concurrent use; its zero value is not, use NewMemoryTokens.
type MemoryTokens struct {
	mu      sync.Mutex
	entries map[string]tokenEntry
	locks   map[string]*keyLock
	// seq is the last version handed out. One counter for the whole store
	// is the simplest way to never reuse a version of a deleted key.
	seq int64
	// lockSeq identifies lock acquisitions, so that an unlock or a ttl
	// expiry only releases the acquisition it belongs to.
	lockSeq uint64
}

type tokenEntry struct {
	value   domain.Secret
	version int64
}

// keyLock is one held lock. released is closed when it is released, waking
// every waiter; they then race to take the key again.
type keyLock struct {
	id       uint64
	released chan struct{}
	timer    *time.Timer
}

// NewMemoryTokens returns an empty in-memory token store.
func NewMemoryTokens() *MemoryTokens {
	return &MemoryTokens{
		entries: make(map[string]tokenEntry),
		locks:   make(map[string]*keyLock),
	}
}

// Get returns the value stored under key and its version, or version 0 when
// there is none. It fails only when ctx is already done.
func (m *MemoryTokens) Get(ctx context.Context, key string) (domain.Secret, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	return e.value, e.version, nil
}

// CompareAndSwap stores value under key if the key is still at version prev
// (0: the key must be absent). It returns the new version and true when it
// stored, or the current version and false when another writer got there
// first.
func (m *MemoryTokens) CompareAndSwap(ctx context.Context, key string, prev int64, value domain.Secret) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.entries[key]
	if cur.version != prev {
		return cur.version, false, nil
	}
	m.seq++
	m.entries[key] = tokenEntry{value: value, version: m.seq}
	return m.seq, true, nil
}

// Delete removes key if it is still at version; otherwise it does nothing,
// so a caller dropping a token that failed cannot remove a newer one.
func (m *MemoryTokens) Delete(ctx context.Context, key string, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.entries[key]; ok && cur.version == version {
		delete(m.entries, key)
	}
	return nil
}

// Lock blocks until it holds key's lock or ctx is done, and returns the
// function that releases it. The lock is released on its own after ttl (a
// holder that never unlocks cannot wedge the key), mirroring a Redis lock
// with an expiry; ttl must be positive. Calling unlock more than once, or
// after the ttl handed the lock to someone else, is harmless.
func (m *MemoryTokens) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		return nil, errors.New("cache: lock tokens: ttl must be positive")
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.mu.Lock()
		held, ok := m.locks[key]
		if !ok {
			unlock := m.acquireLocked(key, ttl)
			m.mu.Unlock()
			return unlock, nil
		}
		wait := held.released
		m.mu.Unlock()

		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// acquireLocked records a new holder of key's lock; m.mu must be held.
func (m *MemoryTokens) acquireLocked(key string, ttl time.Duration) func() {
	m.lockSeq++
	l := &keyLock{id: m.lockSeq, released: make(chan struct{})}
	release := func() { m.release(key, l.id) }
	l.timer = time.AfterFunc(ttl, release)
	m.locks[key] = l
	return release
}

// release frees key's lock if acquisition id still holds it.
func (m *MemoryTokens) release(key string, id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.locks[key]
	if !ok || l.id != id {
		return
	}
	l.timer.Stop()
	delete(m.locks, key)
	close(l.released)
}
