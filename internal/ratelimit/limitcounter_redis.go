package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/storehealth"
)

// DefaultLimitPrefix starts every key of a RedisLimitCounter built with an
// empty prefix.
const DefaultLimitPrefix = "switchboard:inbound:"

// redisTimeout bounds every call of a RedisLimitCounter: httprate's counter
// interface takes no context, so the counter bounds its own calls, with the
// store health's timeout (the budget's calls are bounded by the health
// itself). It only bounds a hanging socket read when the client was built
// with ContextTimeoutEnabled, or with read and write timeouts of its own.
const redisTimeout = storehealth.DefaultTimeout

// defaultCounterWindow sets the key expiry until httprate calls Config.
const defaultCounterWindow = time.Minute

// RedisLimitCounter is an httprate.LimitCounter kept in Redis, so that every
// replica counts the same requests. It is safe for concurrent use.
//
// httprate approximates a sliding window with two fixed ones: it asks for the
// count of the current window and of the one before, and weighs the latter
// by how much of it still overlaps the last windowLength. This counter keeps
// one key per limiter key and window:
//
//	<prefix>{<key>}:<window start in Unix ms>
//
// The windows of one key share a hash tag, so Get reads both with one MGET
// even on Redis Cluster. A key expires two windows after it was last
// incremented, when it can no longer be anyone's previous window.
//
// The semantics are those of httprate's local counter: Increment adds to the
// count of currentWindow; Get returns the counts of currentWindow and
// previousWindow, 0 for a window never incremented. Like the local counter
// it returns an error for nothing but a failure to reach Redis; httprate
// answers such an error with a 428 carrying the error text, so wrap this
// counter in a FallbackLimitCounter rather than use it alone.
//
// The limit is approximate, in two ways, both accepted because it protects
// the gateway rather than an upstream contract (the Phonewagon budget,
// RedisStore, is exact):
//   - httprate estimates a sliding window from two fixed ones (the previous
//     window's count weighted by its remaining share), so a tenant going
//     from idle to a flood can pass nearly twice the limit within one
//     60-second span (measured by make overload: about 1.8×);
//   - across replicas, httprate's check (Get) and its increment are two
//     calls, so concurrent requests on different replicas may both pass the
//     last slot: up to one more request per replica at the edge.
type RedisLimitCounter struct {
	rdb    redis.Cmdable
	prefix string
	// window is the longest window length a limiter configured, in ns;
	// 0 until Config is called.
	window atomic.Int64
}

var _ httprate.LimitCounter = (*RedisLimitCounter)(nil)

// NewRedisLimitCounter returns a counter keeping its counts in rdb under
// prefix (empty means DefaultLimitPrefix).
func NewRedisLimitCounter(rdb redis.Cmdable, prefix string) *RedisLimitCounter {
	if prefix == "" {
		prefix = DefaultLimitPrefix
	}
	return &RedisLimitCounter{rdb: rdb, prefix: prefix}
}

// Config implements httprate.LimitCounter. httprate calls it once per
// limiter; the counter keeps the longest window it is told of, so that
// limiters with different windows may share it without a key expiring
// early.
func (c *RedisLimitCounter) Config(_ int, windowLength time.Duration) {
	for {
		cur := c.window.Load()
		if int64(windowLength) <= cur {
			return
		}
		if c.window.CompareAndSwap(cur, int64(windowLength)) {
			return
		}
	}
}

// Increment implements httprate.LimitCounter.
func (c *RedisLimitCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

// IncrementBy implements httprate.LimitCounter. The increment and the
// expiry go in one MULTI, so a key never lives without its expiry.
func (c *RedisLimitCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	k := c.key(key, currentWindow)
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, k, int64(amount))
		p.PExpire(ctx, k, 2*c.windowLength())
		return nil
	})
	if err != nil {
		return fmt.Errorf("ratelimit: increment inbound count: %w", err)
	}
	return nil
}

// Get implements httprate.LimitCounter.
func (c *RedisLimitCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	vals, err := c.rdb.MGet(ctx, c.key(key, currentWindow), c.key(key, previousWindow)).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: get inbound count: %w", err)
	}
	if len(vals) != 2 {
		return 0, 0, errors.New("ratelimit: get inbound count: unexpected reply")
	}
	curr, err := countOf(vals[0])
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: get inbound count: %w", err)
	}
	prev, err := countOf(vals[1])
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: get inbound count: %w", err)
	}
	return curr, prev, nil
}

// windowLength returns the configured window, or defaultCounterWindow
// before Config.
func (c *RedisLimitCounter) windowLength() time.Duration {
	if w := time.Duration(c.window.Load()); w > 0 {
		return w
	}
	return defaultCounterWindow
}

// key returns the key counting key's requests in the window starting at w.
func (c *RedisLimitCounter) key(key string, w time.Time) string {
	return c.prefix + hashTag(key) + ":" + strconv.FormatInt(w.UnixMilli(), 10)
}

// countOf reads one MGET value: nil for a missing key, else a decimal count.
func countOf(v any) (int, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case string:
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("count %q: %w", v, err)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("count of type %T", v)
	}
}
