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
)

// NewRoundTripLimitCounter returns the inbound counter as it was before
// RedisLimitCounter answered from memory: every Get an MGET and every
// increment a MULTI round trip, made under httprate's per-limiter mutex.
// BenchmarkInboundLimit measures it against RedisLimitCounter.
func NewRoundTripLimitCounter(rdb redis.Cmdable, prefix string) httprate.LimitCounter {
	return &roundTripCounter{rdb: rdb, prefix: prefix}
}

type roundTripCounter struct {
	rdb    redis.Cmdable
	prefix string
	window atomic.Int64
}

func (c *roundTripCounter) Config(_ int, windowLength time.Duration) {
	storeMax(&c.window, int64(windowLength))
}

func (c *roundTripCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

func (c *roundTripCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	k := c.key(key, currentWindow)
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, k, int64(amount))
		p.PExpire(ctx, k, 2*time.Duration(c.window.Load()))
		return nil
	})
	if err != nil {
		return fmt.Errorf("ratelimit: increment inbound count: %w", err)
	}
	return nil
}

func (c *roundTripCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	vals, err := c.rdb.MGet(ctx, c.key(key, currentWindow), c.key(key, previousWindow)).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("ratelimit: get inbound count: %w", err)
	}
	if len(vals) != 2 {
		return 0, 0, errors.New("ratelimit: get inbound count: unexpected reply")
	}
	var n [2]int
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			if n[i], err = strconv.Atoi(v); err != nil {
				return 0, 0, err
			}
		default:
			return 0, 0, fmt.Errorf("count of type %T", v)
		}
	}
	return n[0], n[1], nil
}

func (c *roundTripCounter) key(key string, w time.Time) string {
	return c.prefix + hashTag(key) + ":" + strconv.FormatInt(w.UnixMilli(), 10)
}
