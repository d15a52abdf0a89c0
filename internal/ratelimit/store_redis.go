package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key of a RedisStore built with an empty
// prefix.
const DefaultRedisPrefix = "switchboard:budget:"

// RedisStore is a Store shared by every replica through Redis, and a
// Resyncer: it keeps the budget when Redis loses its window. It is safe for
// concurrent use; make one per replica (it remembers which epoch of each
// account's window this replica has seeded).
//
// Each account has three keys, all tagged {account} so that they live on one
// Redis Cluster slot:
//
//	<prefix>{<account>}:admissions  sorted set, one member per admission, scored by its time in µs
//	<prefix>{<account>}:pause       the end of the pause in µs
//	<prefix>{<account>}:epoch       hash: the window's epoch, and r:<replica> for each replica that seeded it
//
// Every operation is one Lua script, so an admission (check the epoch, trim,
// count, check the pause, add) is atomic across replicas, and every script
// reads the time with Redis TIME: replicas whose clocks disagree still share
// one window. The admissions key expires one window after the last admission
// and the pause key when the pause ends, so an idle account leaves only its
// small epoch hash behind.
//
// The epoch is how a lost window is noticed: a Redis that restarted empty or
// was flushed has no epoch hash, and a replica that seeded the old one gets
// ErrResync instead of an admission against an empty window.
type RedisStore struct {
	rdb     redis.Scripter
	prefix  string
	replica string
	live    func() int
	admit   *redis.Script
	pause   *redis.Script
	peek    *redis.Script
	resync  *redis.Script

	mu     sync.Mutex
	epochs map[string]string // account -> the epoch this replica seeded
}

var (
	_ Store    = (*RedisStore)(nil)
	_ Resyncer = (*RedisStore)(nil)
)

// NewRedisStore returns a store keeping its state in rdb under prefix (empty
// means DefaultRedisPrefix). Any client works: *redis.Client, a
// *redis.ClusterClient or a redis.UniversalClient. replicas names this
// replica and counts the live ones, whose re-seeds a new epoch waits for;
// nil means a replica of a random name that counts itself only.
func NewRedisStore(rdb redis.Scripter, prefix string, replicas *Replicas) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	s := &RedisStore{
		rdb:     rdb,
		prefix:  prefix,
		replica: rand.Text(),
		live:    func() int { return 1 },
		admit:   redis.NewScript(luaClock + luaEpoch + luaWindow + luaAdmit + luaOldest + luaReplyEpoch),
		pause:   redis.NewScript(luaClock + luaPause),
		peek:    redis.NewScript(luaClock + luaWindow + luaOldest + luaReply),
		resync:  redis.NewScript(luaClock + luaResync),
		epochs:  make(map[string]string),
	}
	if replicas != nil {
		s.replica, s.live = replicas.ID(), replicas.Live
	}
	return s
}

// luaClock reads Redis's clock in microseconds. replicate_commands lets a
// script write after reading TIME on Redis before 5.0; later versions
// replicate effects anyway and keep the call as a no-op.
const luaClock = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
`

// luaEpoch checks the epoch hash (KEYS[3]) before an admission.
// ARGV[5]: the epoch this replica seeded (” if none yet), ARGV[6]: the
// replica, ARGV[7]: a fresh epoch in case there is none, ARGV[8]: the live
// replicas. A replica that seeded an epoch that is gone must re-seed (-1); a
// replica that never seeded joins the current epoch (it has nothing to
// seed), creating it if there is none; an epoch that fewer than the live
// replicas seeded is not trusted yet (-2).
const luaEpoch = `
local epoch = redis.call('HGET', KEYS[3], 'epoch')
if ARGV[5] ~= '' and epoch ~= ARGV[5] then
  return {-1, 0, 0, 0, 0, 0, ''}
end
if ARGV[5] == '' then
  if not epoch then
    epoch = ARGV[7]
    redis.call('HSET', KEYS[3], 'epoch', epoch)
  end
  redis.call('HSET', KEYS[3], 'r:' .. ARGV[6], 1)
end
if redis.call('HLEN', KEYS[3]) - 1 < tonumber(ARGV[8]) then
  return {-2, 0, 0, 0, 0, 0, epoch}
end
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
// same microsecond stay two members, and a re-seed of the same admission
// adds nothing; the count is re-read rather than incremented so that even a
// colliding token cannot make it lie. ARGV[4]: the admissions key's expiry
// in ms.
const luaAdmit = `
if paused <= now and count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  count = redis.call('ZCARD', KEYS[1])
  admitted = 1
end
`

// luaOldest finds what snapshot needs besides the count: the oldest
// admission and the one whose departure frees a slot.
const luaOldest = `
local oldest = 0
local freeing = 0
if count > 0 then
  oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
end
if count >= limit then
  local i = count - limit
  freeing = tonumber(redis.call('ZRANGE', KEYS[1], i, i, 'WITHSCORES')[2])
end
`

// luaReply and luaReplyEpoch return the snapshot: admitted, count, now, the
// pause end, oldest, freeing (and the epoch).
const (
	luaReply      = "return {admitted, count, now, paused, oldest, freeing}\n"
	luaReplyEpoch = "return {admitted, count, now, paused, oldest, freeing, epoch}\n"
)

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
	known := s.epoch(account)
	token := rand.Text()
	reply, err := s.admit.Run(ctx, s.rdb, s.keys(account), limit, ceilMicros(window), token, ceilMillis(window),
		known, s.replica, rand.Text(), max(1, s.live())).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	res, epoch, err := parseAdmitReply(reply)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	switch res[0] {
	case -1:
		return Decision{}, ErrResync
	case -2:
		s.setEpoch(account, epoch)
		return Decision{}, ErrUnsettled
	}
	s.setEpoch(account, epoch)
	snap, err := parseSnapshot(res)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis admit: %w", err)
	}
	d := snap.decision(limit, window)
	if d.Admitted {
		d.ID = token
	}
	return d, nil
}

// Pause implements Store.
func (s *RedisStore) Pause(ctx context.Context, account string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	keys := s.keys(account)
	if err := s.pause.Run(ctx, s.rdb, keys[1:2], ceilMicros(d), ceilMillis(d)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis pause: %w", err)
	}
	return nil
}

// Peek implements Store.
func (s *RedisStore) Peek(ctx context.Context, account string, limit int, window time.Duration) (Decision, error) {
	if err := checkArgs(limit, window); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	res, err := s.peek.Run(ctx, s.rdb, s.keys(account)[:2], limit, ceilMicros(window)).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	snap, err := parseSnapshot(res)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis peek: %w", err)
	}
	return snap.decision(limit, window), nil
}

// keys returns the admissions, pause and epoch keys of account.
func (s *RedisStore) keys(account string) []string {
	base := s.prefix + hashTag(account)
	return []string{base + ":admissions", base + ":pause", base + ":epoch"}
}

// epoch returns the epoch of account's window this replica seeded, "" if
// none yet.
func (s *RedisStore) epoch(account string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epochs[account]
}

// setEpoch records the epoch of account's window this replica seeded.
func (s *RedisStore) setEpoch(account, epoch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epochs[account] = epoch
}

// parseAdmitReply splits the admit script's reply into the snapshot's
// numbers (the first being the status: 1 admitted, 0 refused, -1 re-seed,
// -2 unsettled) and the epoch.
func parseAdmitReply(reply []any) ([]int64, string, error) {
	if len(reply) != 7 {
		return nil, "", errors.New("unexpected script reply")
	}
	res := make([]int64, 6)
	for i := range res {
		n, ok := reply[i].(int64)
		if !ok {
			return nil, "", errors.New("unexpected script reply")
		}
		res[i] = n
	}
	epoch, _ := reply[6].(string)
	return res, epoch, nil
}

// parseSnapshot reads luaReply's numbers.
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
