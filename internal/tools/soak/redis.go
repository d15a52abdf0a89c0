package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisTimeout bounds the ping and the clean-up.
const redisTimeout = 10 * time.Second

// sharedRedis is the Redis the replicas share (the run's own redis-server),
// under a prefix of this run's own.
type sharedRedis struct {
	URL    string
	Prefix string
	rdb    *redis.Client
}

// openRedis checks that url answers and picks a fresh key prefix.
func openRedis(ctx context.Context, url string) (*sharedRedis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: parse %s: %w", url, err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis: ping %s: %w", opts.Addr, err)
	}
	return &sharedRedis{URL: url, Prefix: "sbsoak:" + randomHex(6) + ":", rdb: rdb}, nil
}

// cleanup deletes every key under the prefix and returns how many there
// were; the client is closed.
func (r *sharedRedis) cleanup() (int, error) {
	defer r.rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	n := 0
	iter := r.rdb.Scan(ctx, 0, r.Prefix+"*", 500).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.rdb.Del(ctx, batch...).Err()
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return n, fmt.Errorf("redis: delete keys: %w", err)
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, fmt.Errorf("redis: scan keys: %w", err)
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("redis: delete keys: %w", err)
	}
	return n, nil
}
