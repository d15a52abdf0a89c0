package cache

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultCachePrefix is the key prefix of a RedisBackend built with an
// empty prefix.
const DefaultCachePrefix = "switchboard:cache:"

// unlockScript deletes a lock only while it still holds the caller's token,
// so a holder whose ttl ran out cannot release the next holder's lock.
const unlockScript = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`

// errNoRedis reports a Redis store built without a client.
var errNoRedis = errors.New("cache: no redis client")

// RedisBackend is a Backend in Redis, shared by every replica. An entry is
// one string key holding the binary layout of codec.go, expiring with
// PEXPIRE semantics after keep; a lock is a separate key set with SET NX PX
// and released by a compare-token script. No command touches more than one
// key, so the backend works on Redis Cluster too.
//
// A RedisBackend is safe for concurrent use. Every call honours ctx; the
// Cache bounds each with a short timeout.
type RedisBackend struct {
	rdb    redis.UniversalClient
	prefix string
	unlock *redis.Script
}

// NewRedisBackend returns a backend storing under prefix
// (DefaultCachePrefix when empty) in rdb. Keys are used as given, so pass
// keys built by Key.
func NewRedisBackend(rdb redis.UniversalClient, prefix string) *RedisBackend {
	if prefix == "" {
		prefix = DefaultCachePrefix
	}
	return &RedisBackend{rdb: rdb, prefix: prefix, unlock: redis.NewScript(unlockScript)}
}

func (b *RedisBackend) entryKey(key string) string { return b.prefix + "entry:" + key }
func (b *RedisBackend) lockKey(key string) string  { return b.prefix + "lock:" + key }

// Get returns the entry under key. A value that does not decode (corrupt,
// or written by a release with another layout) reads as absent.
func (b *RedisBackend) Get(ctx context.Context, key string) (Entry, bool, error) {
	if b.rdb == nil {
		return Entry{}, false, errNoRedis
	}
	raw, err := b.rdb.Get(ctx, b.entryKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("cache: redis get: %w", err)
	}
	e, err := decodeEntry(raw)
	if err != nil {
		return Entry{}, false, nil
	}
	return e.withReady(), true, nil
}

// Set stores e under key, expiring after keep.
func (b *RedisBackend) Set(ctx context.Context, key string, e Entry, keep time.Duration) error {
	if b.rdb == nil {
		return errNoRedis
	}
	if keep <= 0 {
		return errors.New("cache: redis set: keep must be positive")
	}
	if err := b.rdb.Set(ctx, b.entryKey(key), encodeEntry(e), keep).Err(); err != nil {
		return fmt.Errorf("cache: redis set: %w", err)
	}
	return nil
}

// TryLock takes key's lock with SET NX PX.
func (b *RedisBackend) TryLock(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	if b.rdb == nil {
		return "", false, errNoRedis
	}
	if ttl <= 0 {
		return "", false, errors.New("cache: redis lock: ttl must be positive")
	}
	token := rand.Text()
	ok, err := b.rdb.SetNX(ctx, b.lockKey(key), token, ttl).Result()
	if err != nil {
		return "", false, fmt.Errorf("cache: redis lock: %w", err)
	}
	if !ok {
		return "", false, nil
	}
	return token, true, nil
}

// Unlock releases key's lock if token still holds it.
func (b *RedisBackend) Unlock(ctx context.Context, key, token string) error {
	if b.rdb == nil {
		return errNoRedis
	}
	if err := b.unlock.Run(ctx, b.rdb, []string{b.lockKey(key)}, token).Err(); err != nil {
		return fmt.Errorf("cache: redis unlock: %w", err)
	}
	return nil
}
