package mirror

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// RequestFollow implements FollowRequests.
func (s *RedisStore) RequestFollow(ctx context.Context, account string) (int64, error) {
	n, err := s.rdb.Incr(ctx, s.base(account)+"follow:req").Result()
	if err != nil {
		return 0, fmt.Errorf("mirror: request follow: %w", err)
	}
	return n, nil
}

// Requested implements FollowRequests.
func (s *RedisStore) Requested(ctx context.Context, account string) (int64, error) {
	return s.counter(ctx, account, "follow:req")
}

// MarkFollowed implements FollowRequests. The mark never moves back: a
// follow that finishes after a later one did leaves the later mark.
func (s *RedisStore) MarkFollowed(ctx context.Context, account string, fence, seq int64) error {
	b := s.base(account)
	_, err := fencedResult(luaRaise.Run(ctx, s.rdb, []string{b + "lease", b + "follow:done"}, fence, seq).Int64())
	if err != nil {
		return fmt.Errorf("mirror: mark followed: %w", err)
	}
	return nil
}

// Followed implements FollowRequests.
func (s *RedisStore) Followed(ctx context.Context, account string) (int64, error) {
	return s.counter(ctx, account, "follow:done")
}

// counter reads the counter name of account, 0 when absent.
func (s *RedisStore) counter(ctx context.Context, account, name string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.base(account)+name).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mirror: read %s: %w", name, err)
	}
	return n, nil
}
