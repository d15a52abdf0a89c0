package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultIdempotencyPrefix is the key prefix of a RedisIdempotency built
// with an empty prefix.
const DefaultIdempotencyPrefix = "switchboard:idem:"

// A key holds "I" + body hash while a request is in flight, or "C" + an
// encoded Record once it completed. The scripts below switch on that first
// byte so that each operation is one atomic step.
const (
	claimTag    = "I"
	completeTag = "C"
)

// beginScript returns the current value, or claims the free key and returns
// "" (never a stored value: every stored value is tagged).
const beginScript = `
local v = redis.call("GET", KEYS[1])
if v then
	return v
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return ""`

// completeScript stores a record unless one is already completed.
const completeScript = `
local v = redis.call("GET", KEYS[1])
if v and string.sub(v, 1, 1) == "C" then
	return 0
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`

// releaseScript deletes a claim, never a completed record.
const releaseScript = `
local v = redis.call("GET", KEYS[1])
if v and string.sub(v, 1, 1) == "I" then
	return redis.call("DEL", KEYS[1])
end
return 0`

// RedisIdempotency is an IdempotencyStore in Redis, shared by replicas. Each
// operation is one Lua script on one key (so Cluster works too); keys are
// the prefix and a hash of the caller's key. Record bodies are stored as
// the upstream answered them, unencrypted, for 24 h.
//
// A RedisIdempotency is safe for concurrent use.
type RedisIdempotency struct {
	rdb      redis.UniversalClient
	prefix   string
	begin    *redis.Script
	complete *redis.Script
	release  *redis.Script
}

// NewRedisIdempotency returns a store under prefix
// (DefaultIdempotencyPrefix when empty) in rdb.
func NewRedisIdempotency(rdb redis.UniversalClient, prefix string) *RedisIdempotency {
	if prefix == "" {
		prefix = DefaultIdempotencyPrefix
	}
	return &RedisIdempotency{
		rdb:      rdb,
		prefix:   prefix,
		begin:    redis.NewScript(beginScript),
		complete: redis.NewScript(completeScript),
		release:  redis.NewScript(releaseScript),
	}
}

func (s *RedisIdempotency) key(key string) string { return s.prefix + idempotencyKey(key) }

// Begin claims key or reports what holds it, in one script.
func (s *RedisIdempotency) Begin(ctx context.Context, key, bodyHash string, inflightTTL time.Duration) (BeginResult, error) {
	if s.rdb == nil {
		return BeginResult{}, errNoRedis
	}
	if inflightTTL <= 0 {
		return BeginResult{}, errors.New("cache: redis idempotency begin: inflightTTL must be positive")
	}
	v, err := s.begin.Run(ctx, s.rdb, []string{s.key(key)}, claimTag+bodyHash, millis(inflightTTL)).Text()
	if err != nil {
		return BeginResult{}, fmt.Errorf("cache: redis idempotency begin: %w", err)
	}
	switch {
	case v == "":
		return BeginResult{Outcome: BeginClaimed}, nil
	case strings.HasPrefix(v, claimTag):
		return judge(bodyHash, true, v[len(claimTag):], Record{}), nil
	case strings.HasPrefix(v, completeTag):
		rec, err := decodeRecord([]byte(v[len(completeTag):]))
		if err != nil {
			return BeginResult{}, fmt.Errorf("cache: redis idempotency begin: %w", err)
		}
		return judge(bodyHash, false, "", rec), nil
	}
	return BeginResult{}, fmt.Errorf("cache: redis idempotency begin: %w", errCorrupt)
}

// Complete stores rec unless a record is already completed.
func (s *RedisIdempotency) Complete(ctx context.Context, key string, rec Record, keep time.Duration) error {
	if s.rdb == nil {
		return errNoRedis
	}
	if keep <= 0 {
		return errors.New("cache: redis idempotency complete: keep must be positive")
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now()
	}
	value := completeTag + string(encodeRecord(rec))
	if err := s.complete.Run(ctx, s.rdb, []string{s.key(key)}, value, millis(keep)).Err(); err != nil {
		return fmt.Errorf("cache: redis idempotency complete: %w", err)
	}
	return nil
}

// Release drops key's claim, leaving a completed record alone.
func (s *RedisIdempotency) Release(ctx context.Context, key string) error {
	if s.rdb == nil {
		return errNoRedis
	}
	if err := s.release.Run(ctx, s.rdb, []string{s.key(key)}).Err(); err != nil {
		return fmt.Errorf("cache: redis idempotency release: %w", err)
	}
	return nil
}

// millis is d in whole milliseconds for PX, at least 1 (PX 0 is an error).
func millis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
