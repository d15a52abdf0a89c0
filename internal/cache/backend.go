package cache

import (
	"context"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// Entry is one cached response, ready to write.
//
// Entries returned by a Backend or a Cache share memory with the store:
// treat Body and Header as read-only.
type Entry struct {
	// Body is the JSON body exactly as it is written to the caller.
	Body []byte
	// ETag is the strong validator of Body (see ETag), quoted. The Cache
	// computes it; a fill function need not set it.
	ETag string
	// Header holds the response headers that belong to the body, such as
	// Link and X-Next-Cursor. Never per-request headers (X-Request-Id) or
	// anything per-caller.
	Header map[string]string
	// StoredAt is when the body was fetched from the upstream. The Cache
	// sets it from its clock.
	StoredAt time.Time
	// FreshFor is how long after StoredAt the entry is served without
	// asking the upstream. A fill that returns FreshFor <= 0 is served to
	// the callers waiting for it and not stored.
	FreshFor time.Duration

	// ready is Header, ETag and Content-Length in http.Header form, built
	// once when the entry is filled or read from Redis (see withReady), so
	// that serving it from memory allocates none of them.
	ready http.Header
}

// ReadyHeader returns the entry's response headers in http.Header form, with
// canonical keys: Header's pairs, ETag (when set) and Content-Length. The
// Cache builds them once per entry; the map and its slices are shared by
// every request the entry serves, so they must not be modified — copy the
// slices into the response's header map as they are (net/http only reads
// them, and an append to one, whose cap equals its len, copies it).
func (e Entry) ReadyHeader() http.Header {
	if e.ready != nil {
		return e.ready
	}
	return e.readyHeader()
}

// withReady returns e with its ready headers built, once.
func (e Entry) withReady() Entry {
	if e.ready == nil {
		e.ready = e.readyHeader()
	}
	return e
}

func (e Entry) readyHeader() http.Header {
	// One array backs every value; each value's slice is capped at its
	// one element, so an append to it copies instead of writing into the
	// next value.
	vals := make([]string, 0, len(e.Header)+2)
	h := make(http.Header, len(e.Header)+2)
	add := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	for k, v := range e.Header {
		add(http.CanonicalHeaderKey(k), v)
	}
	if e.ETag != "" {
		add("Etag", e.ETag)
	}
	add("Content-Length", strconv.Itoa(len(e.Body)))
	return h
}

// clone returns a copy of e that shares no memory with it but the ready
// headers, which are never modified.
func (e Entry) clone() Entry {
	e.Body = append([]byte(nil), e.Body...)
	e.Header = maps.Clone(e.Header)
	return e
}

// age is how long ago e was stored, never negative: a replica whose clock
// is behind the one that stored e sees it as just stored.
func (e Entry) age(now time.Time) time.Duration {
	return max(now.Sub(e.StoredAt), 0)
}

// fresh reports whether e may be served at now without an upstream call.
func (e Entry) fresh(now time.Time) bool {
	return e.age(now) < e.FreshFor
}

// Backend stores cache entries. The memory backend serves a single replica;
// the Redis backend is shared by replicas. Implementations are safe for
// concurrent use and honour ctx deadlines: the Cache bounds every call with
// a short timeout and treats a failure as "no cache", never as a failed
// request.
type Backend interface {
	// Get returns the entry stored under key. A missing, expired or
	// unreadable entry is (Entry{}, false, nil); an error means the store
	// itself could not be asked.
	Get(ctx context.Context, key string) (Entry, bool, error)
	// Set stores e under key for keep (FreshFor plus the stale allowance),
	// replacing any previous entry. keep must be positive.
	Set(ctx context.Context, key string, e Entry, keep time.Duration) error
	// TryLock takes key's fill lock without waiting, for at most ttl, and
	// returns the token that unlocks it. ok is false when another holder
	// has it. TryLock and Unlock coordinate one fill per key across
	// replicas; the lock is advisory and never guards Get or Set.
	TryLock(ctx context.Context, key string, ttl time.Duration) (token string, ok bool, err error)
	// Unlock releases key's lock if token still holds it; a late Unlock
	// after the ttl handed the lock to someone else does nothing.
	Unlock(ctx context.Context, key, token string) error
}
