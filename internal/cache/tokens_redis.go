package cache

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
)

// DefaultTokensPrefix is the key prefix of a RedisTokens built with an empty
// prefix.
const DefaultTokensPrefix = "switchboard:tokens:"

// tokensOpTimeout bounds every Redis call of a RedisTokens, within the
// caller's own deadline: a token read sits in front of an upstream call, so
// a slow Redis must turn into a quick fallback (the client then keeps its
// token in process). It only bounds a hanging socket read when the client
// was built with ContextTimeoutEnabled, or with read and write timeouts of
// its own.
const tokensOpTimeout = 500 * time.Millisecond

// A waiting Lock polls SET NX, first after about lockPollMin, backing off to
// lockPollMax. A token lock is held for one login (well under a second
// usually), and waiting is rare: polling keeps the store to one key and one
// command, where pub/sub would need a connection per waiter.
const (
	lockPollMin = 25 * time.Millisecond
	lockPollMax = 100 * time.Millisecond
)

// Each token key is one Redis hash with two fields:
//   - "val": the sealed value, present exactly while the key holds a value;
//   - "seq": the last version handed out for this key, raised by every
//     successful swap and never removed, so Delete (which removes only
//     "val") cannot make a version be handed out twice.
//
// The current version is "seq" while "val" exists, and 0 otherwise. The
// hash itself is never deleted nor given a TTL: there is one per CallWidget
// account, a few dozen bytes once its value is deleted.
//
// casScript swaps the value if the version is still ARGV[1] and returns
// {1, new version}, or {0, current version}.
const casScript = `
local cur = 0
if redis.call("HEXISTS", KEYS[1], "val") == 1 then
	cur = tonumber(redis.call("HGET", KEYS[1], "seq")) or 0
end
if cur ~= tonumber(ARGV[1]) then
	return {0, cur}
end
local v = redis.call("HINCRBY", KEYS[1], "seq", 1)
redis.call("HSET", KEYS[1], "val", ARGV[2])
return {1, v}`

// deleteScript removes the value if the version is still ARGV[1].
const deleteScript = `
if redis.call("HEXISTS", KEYS[1], "val") == 1
	and tonumber(redis.call("HGET", KEYS[1], "seq")) == tonumber(ARGV[1]) then
	return redis.call("HDEL", KEYS[1], "val")
end
return 0`

// tokensUnlockScript deletes a lock only while it still holds the caller's
// random token, so a holder whose ttl ran out cannot release the next
// holder's lock.
const tokensUnlockScript = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`

// RedisTokens is the CallWidget token store in Redis, shared by every
// replica (SPEC §5): it satisfies callwidget.TokenStore with the same
// contract as MemoryTokens, across processes.
//
// Values are encrypted at rest with AES-256-GCM under the key given to
// NewRedisTokens, bound to the Redis key name, so neither a token nor a
// ciphertext usable elsewhere is ever stored. Redis key names carry a
// SHA-256 of the caller's key, never the key itself (it may name a tenant):
//
//	<prefix>{<hash>}:value  the hash described above (value and versions)
//	<prefix>{<hash>}:lock   the lock, a random token set with SET NX PX
//
// Both keys of one token key share the hash tag {<hash>}, and every command
// or script touches one key, so the store works on Redis Cluster.
//
// A value that does not decrypt (written under a previous encryption key,
// or tampered with) reads as an empty value at its real version, with no
// error. That is what makes a key rotation heal itself: the CallWidget
// client logs the value as unreadable, logs in, and overwrites it with
// CompareAndSwap at that version. Reporting an error instead would make the
// client treat the store as down and never write the shared token again.
//
// Versions are only as durable as Redis: should it lose a hash (a flush, a
// failover to a replica that had not received the write), that key's
// versions start again from 1. The worst outcome is a writer that read the
// lost version overwriting a newer token with its own, equally valid one.
//
// A RedisTokens is safe for concurrent use. Every call is bounded by
// tokensOpTimeout within ctx, and its errors start "cache: redis tokens:"
// and never quote a value.
type RedisTokens struct {
	rdb    redis.UniversalClient
	prefix string
	seal   sealer
	cas    *redis.Script
	del    *redis.Script
	unlock *redis.Script
}

// NewRedisTokens returns a token store on Redis, shared by every replica.
// key is the 32-byte AES-256 key (SWITCHBOARD_ENCRYPTION_KEY, decoded);
// values are encrypted with AES-GCM (random 12-byte nonce per write, the
// Redis key name as additional data so a ciphertext cannot be moved to
// another key), so no token is ever stored in clear. The key is not
// retained beyond its expanded cipher. prefix is prepended to every Redis
// key (DefaultTokensPrefix when empty); replicas sharing tokens must use the
// same prefix and key.
func NewRedisTokens(rdb redis.UniversalClient, prefix string, key []byte) (*RedisTokens, error) {
	if isNilClient(rdb) {
		return nil, errors.New("cache: redis tokens: no redis client")
	}
	seal, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("cache: redis tokens: %w", err)
	}
	if prefix == "" {
		prefix = DefaultTokensPrefix
	}
	return &RedisTokens{
		rdb:    rdb,
		prefix: prefix,
		seal:   seal,
		cas:    redis.NewScript(casScript),
		del:    redis.NewScript(deleteScript),
		unlock: redis.NewScript(tokensUnlockScript),
	}, nil
}

// isNilClient reports a missing client, including a typed nil pointer in
// the interface, which would otherwise panic on first use.
func isNilClient(rdb redis.UniversalClient) bool {
	switch c := rdb.(type) {
	case nil:
		return true
	case *redis.Client:
		return c == nil
	case *redis.ClusterClient:
		return c == nil
	case *redis.Ring:
		return c == nil
	}
	return false
}

// names returns the Redis keys of the caller's key.
func (s *RedisTokens) names(key string) (value, lock string) {
	tag := "{" + Key("callwidget-token", key) + "}"
	return s.prefix + tag + ":value", s.prefix + tag + ":lock"
}

// boundCall returns ctx limited to tokensOpTimeout, or ctx's error when it is
// already done (go-redis may otherwise still send a command).
func boundCall(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, tokensOpTimeout)
	return ctx, cancel, nil
}

// Get returns the value under key and its version, or "" and version 0 when
// there is none. A value that does not decrypt is returned as "" at its
// version, so that the caller replaces it (see RedisTokens).
func (s *RedisTokens) Get(ctx context.Context, key string) (domain.Secret, int64, error) {
	ctx, cancel, err := boundCall(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("cache: redis tokens: get: %w", err)
	}
	defer cancel()
	name, _ := s.names(key)
	fields, err := s.rdb.HMGet(ctx, name, "val", "seq").Result()
	if err != nil {
		return "", 0, fmt.Errorf("cache: redis tokens: get: %w", err)
	}
	sealed, hasVal := fields[0].(string)
	seq, _ := fields[1].(string)
	version, err := strconv.ParseInt(seq, 10, 64)
	if !hasVal || err != nil || version <= 0 {
		// No value, or a hash edited by hand: the swap script reads it as
		// version 0 too, so a swap from 0 replaces it.
		return "", 0, nil
	}
	plain, err := s.seal.open([]byte(sealed), []byte(name))
	if err != nil {
		return "", version, nil
	}
	return domain.Secret(plain), version, nil
}

// CompareAndSwap stores value under key if key is still at version prev (0:
// absent), in one script. It returns the new version and true, or the
// current version and false when another writer came first.
func (s *RedisTokens) CompareAndSwap(ctx context.Context, key string, prev int64, value domain.Secret) (int64, bool, error) {
	ctx, cancel, err := boundCall(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("cache: redis tokens: swap: %w", err)
	}
	defer cancel()
	name, _ := s.names(key)
	sealed := s.seal.seal([]byte(value.Reveal()), []byte(name))
	res, err := s.cas.Run(ctx, s.rdb, []string{name}, prev, sealed).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("cache: redis tokens: swap: %w", err)
	}
	if len(res) != 2 {
		return 0, false, errors.New("cache: redis tokens: swap: unexpected script reply")
	}
	return res[1], res[0] == 1, nil
}

// Delete removes key's value if key is still at version, in one script, and
// does nothing otherwise. The version counter stays, so the next swap gets
// a greater version.
func (s *RedisTokens) Delete(ctx context.Context, key string, version int64) error {
	ctx, cancel, err := boundCall(ctx)
	if err != nil {
		return fmt.Errorf("cache: redis tokens: delete: %w", err)
	}
	defer cancel()
	name, _ := s.names(key)
	if err := s.del.Run(ctx, s.rdb, []string{name}, version).Err(); err != nil {
		return fmt.Errorf("cache: redis tokens: delete: %w", err)
	}
	return nil
}

// Lock blocks until it holds key's lock or ctx is done, and returns the
// function that releases it. The lock is a SET NX PX of a random token, so
// it lapses on Redis's clock after ttl (rounded up to a millisecond); ttl
// must be positive. A Redis error ends the wait at once with that error,
// rather than spending the caller's whole wait on a Redis that is down.
//
// unlock runs a compare-and-delete script, so calling it more than once, or
// after the ttl handed the lock to someone else, is harmless. It is bounded
// by tokensOpTimeout but not by ctx, which may be over by then; if it fails,
// the lock lapses after ttl.
func (s *RedisTokens) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		return nil, errors.New("cache: redis tokens: lock: ttl must be positive")
	}
	ttl = max(ttl, time.Millisecond)
	_, name := s.names(key)
	token := rand.Text()
	for wait := lockPollMin; ; wait = min(2*wait, lockPollMax) {
		ok, err := s.tryLock(ctx, name, token, ttl)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.unlocker(ctx, name, token), nil
		}
		// Up to half a step of jitter, so that waiters on one key spread out.
		if !pollPause(ctx, wait+mrand.N(wait/2)) {
			return nil, fmt.Errorf("cache: redis tokens: lock: %w", ctx.Err())
		}
	}
}

// tryLock makes one SET NX PX attempt. When the attempt timed out, the
// command may still have taken the lock, so it is released before the
// error is returned: a lock no caller knows it holds would stall every
// other replica until ttl.
func (s *RedisTokens) tryLock(ctx context.Context, name, token string, ttl time.Duration) (bool, error) {
	opCtx, cancel, err := boundCall(ctx)
	if err != nil {
		return false, fmt.Errorf("cache: redis tokens: lock: %w", err)
	}
	defer cancel()
	ok, err := s.rdb.SetNX(opCtx, name, token, ttl).Result()
	if err != nil {
		if mayHaveRun(err) {
			s.release(ctx, name, token)
		}
		return false, fmt.Errorf("cache: redis tokens: lock: %w", err)
	}
	return ok, nil
}

// mayHaveRun reports an error after which a command may have run anyway.
func mayHaveRun(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// unlocker returns the release function of a lock held with token; it
// calls Redis at most once.
func (s *RedisTokens) unlocker(ctx context.Context, name, token string) func() {
	var once sync.Once
	return func() { once.Do(func() { s.release(ctx, name, token) }) }
}

// release deletes the lock name if token still holds it. It runs detached
// from ctx's cancellation, bounded by tokensOpTimeout, and reports nothing:
// a lock it could not delete lapses after its ttl.
func (s *RedisTokens) release(ctx context.Context, name, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokensOpTimeout)
	defer cancel()
	_ = s.unlock.Run(ctx, s.rdb, []string{name}, token).Err()
}

// pollPause waits d, or until ctx is done; it reports whether d passed.
func pollPause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
