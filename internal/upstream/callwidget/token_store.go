package callwidget

import (
	"context"
	"time"

	"switchboard/internal/domain"
)

// TokenStore is where an account's current token lives so that every
// replica shares one login (SPEC §5). The client encodes its token into an
// opaque value; a store only keeps values and versions.
//
// The interface is declared here, by its one consumer, with nothing but
// standard and domain types, so that the implementations in package cache
// (memory, Redis) satisfy it without importing this package and this
// package does not import them. That a value is opaque also lets the Redis
// store encrypt it at rest without knowing what it holds; it is a
// domain.Secret so that nothing on its way prints it.
//
// Implementations must be safe for concurrent use, and a shared one
// (Redis) must give these guarantees across processes:
//   - version 0 means absent; every successful CompareAndSwap gives the key
//     a version greater than any it had before, even across a Delete;
//   - CompareAndSwap and Delete act only if the key is still at the version
//     the caller read, so a writer never clobbers a token it has not seen;
//   - Lock excludes other holders of the same key until unlock is called or
//     ttl passes.
//
// Keys are chosen by the caller (Config.TokenKey) and must be unique per
// CallWidget account.
type TokenStore interface {
	// Get returns the value under key and its version; version 0 (with an
	// empty value) when there is none.
	Get(ctx context.Context, key string) (value domain.Secret, version int64, err error)
	// CompareAndSwap stores value if key is still at version prev (0: key
	// absent). It returns the new version and true, or the current version
	// and false when another writer came first.
	CompareAndSwap(ctx context.Context, key string, prev int64, value domain.Secret) (version int64, swapped bool, err error)
	// Delete removes key if it is still at version, and does nothing
	// otherwise.
	Delete(ctx context.Context, key string, version int64) error
	// Lock blocks until it holds key's lock or ctx is done, and returns the
	// function that releases it. The lock lapses by itself after ttl.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// storeOpTimeout bounds each store call, so that a hung store delays a
// token by at most this much before the client goes on without it.
const storeOpTimeout = 2 * time.Second

// load reads the stored token. ok is false when there is none, it cannot
// be decoded (then it is treated as absent and overwritten), or the store
// failed; failed tells the last case apart so that the caller skips the
// write-back, and the failure is logged, never returned: a store problem
// alone must not fail a request the upstream could serve.
func (s *tokenSource) load(ctx context.Context) (tok token, version int64, ok, failed bool) {
	if s.store == nil {
		return token{}, 0, false, false
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpTimeout)
	defer cancel()
	value, version, err := s.store.Get(ctx, s.key)
	if err != nil {
		s.log.WarnContext(ctx, "callwidget: token store read failed; using a process-local token",
			"token_key", s.key, "error", err)
		return token{}, 0, false, true
	}
	if version == 0 {
		return token{}, 0, false, false
	}
	tok, err = decodeToken(value)
	if err != nil {
		s.log.WarnContext(ctx, "callwidget: stored token is unreadable; replacing it",
			"token_key", s.key, "error", err)
		return token{}, version, false, false
	}
	return tok, version, true, false
}

// save writes tok over the stored version prev and returns the new version,
// or 0 when it did not store (another writer came first, or the store
// failed; the token is then kept in process only).
func (s *tokenSource) save(ctx context.Context, prev int64, tok token) int64 {
	if s.store == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpTimeout)
	defer cancel()
	version, swapped, err := s.store.CompareAndSwap(ctx, s.key, prev, encodeToken(tok))
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "callwidget: token store write failed; keeping the token in process",
			"token_key", s.key, "error", err)
		return 0
	case !swapped:
		// Another replica stored a token while this one held no lock (the
		// lock lapsed or the store could not take it). Both tokens are
		// valid; the next miss reads the stored one.
		s.log.InfoContext(ctx, "callwidget: token store changed concurrently; keeping the token in process",
			"token_key", s.key)
		return 0
	}
	return version
}

// drop removes the stored token at version, used once both its access and
// refresh tokens are known dead so that other replicas stop trying them.
func (s *tokenSource) drop(ctx context.Context, version int64) {
	if s.store == nil || version == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpTimeout)
	defer cancel()
	if err := s.store.Delete(ctx, s.key, version); err != nil {
		s.log.WarnContext(ctx, "callwidget: token store delete failed", "token_key", s.key, "error", err)
	}
}

// lock takes the store's cross-process lock for this account, waiting at
// most wait. If the store cannot lock, the flight goes on without the lock
// (logged): a second login by another replica is better than no answer.
// The returned function is never nil.
func (s *tokenSource) lock(ctx context.Context, wait, ttl time.Duration) func() {
	if s.store == nil {
		return func() {}
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	unlock, err := s.store.Lock(ctx, s.key, ttl)
	if err != nil || unlock == nil {
		s.log.WarnContext(ctx, "callwidget: token store lock unavailable; renewing without it",
			"token_key", s.key, "error", err)
		return func() {}
	}
	return unlock
}
