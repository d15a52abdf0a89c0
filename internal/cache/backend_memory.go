package cache

import (
	"container/list"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"
)

// DefaultMemoryBytes is the size bound of a MemoryBackend built with
// maxBytes <= 0.
const DefaultMemoryBytes = 64 << 20

// memoryOverhead approximates the bookkeeping of one entry (list element,
// map slot, Entry struct), so that many tiny entries still count.
const memoryOverhead = 160

// MemoryBackend is a Backend held in process memory, for a single replica
// with no Redis configured, and as the optional first-level cache in front
// of Redis. It is bounded: beyond maxBytes the least recently used entries
// are evicted. Expiry follows the injected clock. Its locks exclude fills
// within the process only.
//
// A MemoryBackend is safe for concurrent use; build it with
// NewMemoryBackend.
type MemoryBackend struct {
	now      func() time.Time
	maxBytes int64

	mu      sync.Mutex
	entries map[string]*list.Element // of *memoryItem
	lru     *list.List               // front: most recently used
	size    int64
	locks   map[string]memoryLock
}

type memoryItem struct {
	key     string
	entry   Entry
	expires time.Time
	size    int64
}

type memoryLock struct {
	token   string
	expires time.Time
}

// maxIdleLocks bounds the locks kept before expired ones are swept. Locks
// are normally unlocked; only a fill that never returns leaves one behind.
const maxIdleLocks = 1024

// NewMemoryBackend returns an empty memory backend that reads time from now
// (time.Now when nil) and keeps at most maxBytes of entries
// (DefaultMemoryBytes when maxBytes <= 0).
func NewMemoryBackend(now func() time.Time, maxBytes int64) *MemoryBackend {
	if now == nil {
		now = time.Now
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMemoryBytes
	}
	return &MemoryBackend{
		now:      now,
		maxBytes: maxBytes,
		entries:  make(map[string]*list.Element),
		lru:      list.New(),
		locks:    make(map[string]memoryLock),
	}
}

// Get returns the entry under key unless it has expired. It fails only when
// ctx is already done.
func (m *MemoryBackend) Get(ctx context.Context, key string) (Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return Entry{}, false, nil
	}
	it := el.Value.(*memoryItem)
	if !m.now().Before(it.expires) {
		m.removeLocked(el)
		return Entry{}, false, nil
	}
	m.lru.MoveToFront(el)
	return it.entry, true, nil
}

// Set stores a copy of e under key for keep. An entry larger than the whole
// bound is not kept (and any older entry under key is dropped), so that Set
// never evicts everything for one oversized body.
func (m *MemoryBackend) Set(ctx context.Context, key string, e Entry, keep time.Duration) error {
	return m.store(ctx, key, e.clone(), keep)
}

// store is Set without the copy, for the entries a Cache made itself (a
// fill's, or one read from Redis): nothing else holds them to modify them,
// so the page is kept as it was encoded.
func (m *MemoryBackend) store(ctx context.Context, key string, e Entry, keep time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if keep <= 0 {
		return errors.New("cache: memory set: keep must be positive")
	}
	e = e.withReady()
	size := memoryOverhead + int64(len(key)+len(e.ETag)+len(e.Body))
	for k, v := range e.Header {
		size += int64(len(k) + len(v))
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok {
		m.removeLocked(el)
	}
	if size > m.maxBytes {
		return nil
	}
	it := &memoryItem{key: key, entry: e, expires: m.now().Add(keep), size: size}
	m.entries[key] = m.lru.PushFront(it)
	m.size += size
	for m.size > m.maxBytes {
		m.removeLocked(m.lru.Back())
	}
	return nil
}

// removeLocked drops one entry; m.mu must be held.
func (m *MemoryBackend) removeLocked(el *list.Element) {
	it := m.lru.Remove(el).(*memoryItem)
	delete(m.entries, it.key)
	m.size -= it.size
}

// TryLock takes key's lock for ttl unless a holder has it and its ttl has
// not run out on the injected clock.
func (m *MemoryBackend) TryLock(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if ttl <= 0 {
		return "", false, errors.New("cache: memory lock: ttl must be positive")
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && now.Before(l.expires) {
		return "", false, nil
	}
	if len(m.locks) >= maxIdleLocks {
		for k, l := range m.locks {
			if !now.Before(l.expires) {
				delete(m.locks, k)
			}
		}
	}
	token := rand.Text()
	m.locks[key] = memoryLock{token: token, expires: now.Add(ttl)}
	return token, true, nil
}

// Unlock releases key's lock if token still holds it.
func (m *MemoryBackend) Unlock(ctx context.Context, key, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && l.token == token {
		delete(m.locks, key)
	}
	return nil
}
