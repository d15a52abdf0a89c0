package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/storehealth"
)

// DefaultRedisPrefix is the key prefix of a Redis store built with an empty
// prefix.
const DefaultRedisPrefix = "switchboard:idem:"

// A key holds a claim, "I" + owner + lease end (Redis time, Unix ms) + "|" +
// body hash, or a record, "C" + owner + encoded Record. Owners have a fixed
// length, so the scripts compare the owner by position; each script is one
// atomic step on one key (so a Cluster works too).
const (
	claimTag  = "I"
	recordTag = "C"
)

// beginScript returns {value, now} for a held key, or claims a free one for
// ARGV[1] (owner) and ARGV[2] (body hash) with a lease of ARGV[3] ms on
// Redis's clock, kept ARGV[4] ms, and returns {"", now}. Redis's clock, not
// a replica's, decides when a lease runs out, so replicas agree.
const beginScript = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call("GET", KEYS[1])
if v then
	return {v, string.format("%.0f", now)}
end
local lease = string.format("%.0f", now + tonumber(ARGV[3]))
redis.call("SET", KEYS[1], "I" .. ARGV[1] .. lease .. "|" .. ARGV[2], "PX", ARGV[4])
return {"", string.format("%.0f", now)}`

// completeScript stores ARGV[2] for ARGV[3] ms unless another owner than
// ARGV[1] holds the key (0), keeping a record already completed (1).
const completeScript = `
local v = redis.call("GET", KEYS[1])
if v then
	if string.sub(v, 2, 1 + string.len(ARGV[1])) ~= ARGV[1] then
		return 0
	end
	if string.sub(v, 1, 1) == "C" then
		return 1
	end
end
redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
return 1`

// releaseScript deletes ARGV[1]'s claim, never a record; 0 when another
// owner holds the key.
const releaseScript = `
local v = redis.call("GET", KEYS[1])
if not v then
	return 1
end
if string.sub(v, 2, 1 + string.len(ARGV[1])) ~= ARGV[1] then
	return 0
end
if string.sub(v, 1, 1) == "I" then
	redis.call("DEL", KEYS[1])
end
return 1`

// errNoRedis is returned by a Redis store built without a client.
var errNoRedis = errors.New("idempotency: no redis client")

// Redis is a Store in Redis, shared by replicas; keys are the prefix and a
// hash of the caller's key. Record bodies are stored as answered,
// unencrypted, for their keep (24 h). Surviving a Redis restart needs Redis
// persistence (see the README). It is safe for concurrent use.
//
// With a store health, Begin follows it: while Redis cools down after a
// failure, Begin fails at once (the caller refuses the POST) instead of
// waiting out a timeout. Complete and Release always try Redis, whatever
// the health says: an outcome not stored could be sent twice, and a
// skipped attempt is a record lost.
type Redis struct {
	rdb      redis.UniversalClient
	health   *storehealth.Health
	prefix   string
	begin    *redis.Script
	complete *redis.Script
	release  *redis.Script
}

// NewRedis returns a store under prefix (DefaultRedisPrefix when empty) in
// rdb, following health (nil: none), the one every user of rdb shares.
func NewRedis(rdb redis.UniversalClient, prefix string, health *storehealth.Health) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{
		rdb:      rdb,
		health:   health,
		prefix:   prefix,
		begin:    redis.NewScript(beginScript),
		complete: redis.NewScript(completeScript),
		release:  redis.NewScript(releaseScript),
	}
}

func (s *Redis) key(key string) string { return s.prefix + storedKey(key) }

// cleanupTimeout bounds the release of a claim whose Begin failed.
const cleanupTimeout = 500 * time.Millisecond

// Begin claims key or reports what holds it, in one script. A Begin whose
// script may have run but whose answer was lost (a timeout, a dropped
// connection, a caller gone) leaves no claim behind: the caller is told
// nothing was sent, so a claim of its would only turn the key uncertain
// once its lease ran out. Its owner token releases it, and a retry of the
// script by the client finds the claim its own.
func (s *Redis) Begin(ctx context.Context, key, bodyHash string, lease, keep time.Duration) (BeginResult, error) {
	if s.rdb == nil {
		return BeginResult{}, errNoRedis
	}
	if err := checkTerms(lease, keep); err != nil {
		return BeginResult{}, err
	}
	owner := newOwner()
	var vals []string
	run := func(ctx context.Context) (err error) {
		vals, err = s.begin.Run(ctx, s.rdb, []string{s.key(key)}, owner, bodyHash, millis(lease), millis(keep)).StringSlice()
		return err
	}
	var err error
	if s.health != nil {
		err = s.health.Do(ctx, run)
	} else {
		err = run(ctx)
	}
	if err != nil {
		if !errors.Is(err, storehealth.ErrDown) {
			s.dropClaim(ctx, key, owner)
		}
		return BeginResult{}, fmt.Errorf("idempotency: redis begin: %w", err)
	}
	if len(vals) != 2 {
		return BeginResult{}, fmt.Errorf("idempotency: redis begin: %w", ErrCorrupt)
	}
	res, err := judgeStored(vals[0], vals[1], bodyHash, owner)
	if err != nil {
		return BeginResult{}, fmt.Errorf("idempotency: redis begin: %w", err)
	}
	if res.Outcome == Claimed {
		res.Owner = owner
	}
	return res, nil
}

// dropClaim releases the claim a failed Begin may have left, best effort:
// when Redis cannot be reached, the claim most likely was not made either.
func (s *Redis) dropClaim(ctx context.Context, key, owner string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.release.Run(ctx, s.rdb, []string{s.key(key)}, owner).Err()
}

// judgeStored is Begin's outcome for the stored value v ("" when the script
// claimed the key) at Redis time nowMillis, for a Begin by owner.
func judgeStored(v, nowMillis, bodyHash, owner string) (BeginResult, error) {
	if v == "" {
		return BeginResult{Outcome: Claimed}, nil
	}
	const ownerLen = 2 * ownerBytes
	if len(v) < 1+ownerLen {
		return BeginResult{}, ErrCorrupt
	}
	tag, holder, rest := v[:1], v[1:1+ownerLen], v[1+ownerLen:]
	switch tag {
	case claimTag:
		if holder == owner {
			// The script ran before, for this very Begin, and the client
			// retried it after losing the answer: the claim is ours.
			return BeginResult{Outcome: Claimed}, nil
		}
		until, hash, ok := strings.Cut(rest, "|")
		leaseEnd, err1 := strconv.ParseInt(until, 10, 64)
		now, err2 := strconv.ParseInt(nowMillis, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return BeginResult{}, ErrCorrupt
		}
		return judgeClaim(bodyHash, hash, now < leaseEnd), nil
	case recordTag:
		rec, err := decodeRecord([]byte(rest))
		if err != nil {
			return BeginResult{}, err
		}
		return judgeRecord(bodyHash, rec), nil
	}
	return BeginResult{}, ErrCorrupt
}

// Complete stores rec in place of owner's claim, in one script.
func (s *Redis) Complete(ctx context.Context, key, owner string, rec Record, keep time.Duration) error {
	if s.rdb == nil {
		return errNoRedis
	}
	if keep <= 0 {
		return errors.New("idempotency: redis complete: keep must be positive")
	}
	if !validOwner(owner) {
		return ErrNotOwner
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now()
	}
	value := recordTag + owner + string(encodeRecord(rec))
	done, err := s.complete.Run(ctx, s.rdb, []string{s.key(key)}, owner, value, millis(keep)).Int()
	s.report(ctx, err)
	if err != nil {
		return fmt.Errorf("idempotency: redis complete: %w", err)
	}
	if done == 0 {
		return ErrNotOwner
	}
	return nil
}

// Release drops owner's claim, leaving a record alone, in one script.
func (s *Redis) Release(ctx context.Context, key, owner string) error {
	if s.rdb == nil {
		return errNoRedis
	}
	if !validOwner(owner) {
		return ErrNotOwner
	}
	done, err := s.release.Run(ctx, s.rdb, []string{s.key(key)}, owner).Int()
	s.report(ctx, err)
	if err != nil {
		return fmt.Errorf("idempotency: redis release: %w", err)
	}
	if done == 0 {
		return ErrNotOwner
	}
	return nil
}

// report tells the health how a call it did not gate went.
func (s *Redis) report(ctx context.Context, err error) {
	switch {
	case s.health == nil:
	case err == nil:
		s.health.Succeeded()
	case ctx.Err() == nil:
		s.health.Failed()
	}
}

// millis is d in whole milliseconds for PX, at least 1 (PX 0 is an error).
func millis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
