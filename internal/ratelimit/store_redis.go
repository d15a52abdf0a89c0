package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key of a RedisStore built with an empty
// prefix.
const DefaultRedisPrefix = "switchboard:budget:"

// RedisStore is a Store shared by every replica through Redis. It is safe
// for concurrent use.
//
// Each account has two keys, both tagged {account} so that they live on one
// Redis Cluster slot:
//
//	<prefix>{<account>}:admissions  sorted set, one member per admission, scored by its time in µs
//	<prefix>{<account>}:pause       the end of the pause in µs
//
// Every operation is one Lua script, so an admission (trim, count, check the
// pause, add) is atomic across replicas, and every script reads the time with
// Redis TIME: replicas whose clocks disagree still share one window. The
// admissions key expires one window after the last admission and the pause
// key when the pause ends, so an idle account leaves nothing behind.
type RedisStore struct {
	rdb    redis.Scripter
	prefix string
	admit  *redis.Script
	pause  *redis.Script
	peek   *redis.Script
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore returns a store keeping its state in rdb under prefix (empty
// means DefaultRedisPrefix). Any client works: *redis.Client, a
// *redis.ClusterClient or a redis.UniversalClient.
func NewRedisStore(rdb redis.Scripter, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &RedisStore{
		rdb:    rdb,
		prefix: prefix,
		admit:  redis.NewScript(luaClock + luaWindow + luaAdmit + luaResult),
		pause:  redis.NewScript(luaClock + luaPause),
		peek:   redis.NewScript(luaClock + luaWindow + luaResult),
	}
}

// luaClock reads Redis's clock in microseconds. replicate_commands lets a
// script write after reading TIME on Redis before 5.0; later versions
// replicate effects anyway and keep the call as a no-op.
const luaClock = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
`

// luaWindow trims the admissions (KEYS[1]) to the window (now-window, now]
// and reads the count and the pause (KEYS[2]).
// ARGV: limit, window in µs.
const luaWindow = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local admitted = 0
`

// luaAdmit adds an admission when there is room and no pause. The member is
// a random token from the caller (ARGV[3]), so that two admissions in the
// same microsecond stay two members; the count is re-read rather than
// incremented so that even a colliding token cannot make it lie.
// ARGV[4]: the admissions key's expiry in ms.
const luaAdmit = `
if paused <= now and count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  count = redis.call('ZCARD', KEYS[1])
  admitted = 1
end
`

// luaResult returns what snapshot needs: admitted, count, now, the pause
// end, the oldest admission and the one whose departure frees a slot.
const luaResult = `
local oldest = 0
local freeing = 0
if count > 0 then
  oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
end
if count >= limit then
  local i = count - limit
  freeing = tonumber(redis.call('ZRANGE', KEYS[1], i, i, 'WITHSCORES')[2])
end
return {admitted, count, now, paused, oldest, freeing}
`

// luaPause extends the pause (KEYS[1]) to now + ARGV[1] µs unless it already
// lasts longer; ARGV[2] is the same length in ms, for the key's expiry.
const luaPause = `
local pauseEnd = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if pauseEnd > current then
  redis.call('SET', KEYS[1], pauseEnd, 'PX', ARGV[2])
end
return 1
`

// Admit implements Store.
func (s *RedisStore) Admit(ctx context.Context, account string, limit int, window time.Duration) (Decision, error) {
	if err := checkArgs(limit, window); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := s.admit.Run(ctx, s.rdb, s.keys(account), limit, ceilMicros(window), rand.Text(), ceilMillis(window)).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	snap, err := parseSnapshot(res)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	return snap.decision(limit, window), nil
}

// Pause implements Store.
func (s *RedisStore) Pause(ctx context.Context, account string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	keys := s.keys(account)
	if err := s.pause.Run(ctx, s.rdb, keys[1:], ceilMicros(d), ceilMillis(d)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis pause: %w", err)
	}
	return nil
}

// Peek implements Store.
func (s *RedisStore) Peek(ctx context.Context, account string, limit int, window time.Duration) (Decision, error) {
	if err := checkArgs(limit, window); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := s.peek.Run(ctx, s.rdb, s.keys(account), limit, ceilMicros(window)).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	snap, err := parseSnapshot(res)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	return snap.decision(limit, window), nil
}

// keys returns the admissions and pause keys of account.
func (s *RedisStore) keys(account string) []string {
	base := s.prefix + hashTag(account)
	return []string{base + ":admissions", base + ":pause"}
}

// parseSnapshot reads luaResult's reply.
func parseSnapshot(res []int64) (snapshot, error) {
	if len(res) != 6 {
		return snapshot{}, errors.New("unexpected script reply")
	}
	return snapshot{
		admitted:    res[0] == 1,
		count:       int(res[1]),
		now:         fromMicros(res[2]),
		pausedUntil: fromMicros(res[3]),
		oldest:      fromMicros(res[4]),
		freeing:     fromMicros(res[5]),
	}, nil
}

// fromMicros turns a Redis time in µs into a time.Time, 0 into the zero Time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// ceilMicros returns d in whole microseconds, rounded up so that a window or
// pause is never shortened.
func ceilMicros(d time.Duration) int64 {
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}

// ceilMillis returns d in whole milliseconds, rounded up: a key must not
// expire before what it records.
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
