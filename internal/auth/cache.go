package auth

import (
	"sync"
	"time"
)

// cacheTTL bounds how long one verification is reused when the token lives
// longer, so even a long-lived token is fully checked again this often.
const cacheTTL = 5 * time.Minute

// evictProbe is how many entries eviction looks at for an expired one before
// it drops an arbitrary entry instead.
const evictProbe = 8

// verifyCache remembers successful verifications by the SHA-256 of the
// token, so the token itself is never stored. Only successes are cached:
// caching failures would let anyone fill the cache with garbage.
//
// It is safe for concurrent use. Eviction is deliberately simple — an
// expired entry if one is found quickly, else an arbitrary one (Go's map
// iteration starts at a random place) — which keeps every operation O(1).
type verifyCache struct {
	mu       sync.Mutex
	capacity int
	entries  map[[32]byte]cacheEntry
}

// cacheEntry is a verified principal and the instant it stops being valid.
type cacheEntry struct {
	principal Principal
	until     time.Time
}

func newVerifyCache(capacity int) *verifyCache {
	return &verifyCache{capacity: capacity, entries: make(map[[32]byte]cacheEntry)}
}

// get returns the principal cached under key if it is still valid at now.
func (c *verifyCache) get(key [32]byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return Principal{}, false
	}
	if !now.Before(e.until) {
		delete(c.entries, key)
		return Principal{}, false
	}
	return e.principal, true
}

// put caches p under key until min(p.ExpiresAt, now+cacheTTL). The cache
// never extends a token's life: once the entry lapses the token is verified
// again, leeway and all.
func (c *verifyCache) put(key [32]byte, p Principal, now time.Time) {
	until := now.Add(cacheTTL)
	if p.ExpiresAt.Before(until) {
		until = p.ExpiresAt
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.capacity {
		c.evictLocked(now)
	}
	c.entries[key] = cacheEntry{principal: p, until: until}
}

// evictLocked removes one entry, preferring an expired one. c.mu must be held.
func (c *verifyCache) evictLocked(now time.Time) {
	var victim [32]byte
	seen := 0
	for k, e := range c.entries {
		if seen == 0 {
			victim = k
		}
		if !now.Before(e.until) {
			victim = k
			break
		}
		if seen++; seen == evictProbe {
			break
		}
	}
	delete(c.entries, victim)
}

// len returns the number of entries, for tests.
func (c *verifyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
