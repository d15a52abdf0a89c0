package mirror

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Acquire implements Leases. The token comes from the account's fence
// counter, which never expires, so tokens only grow; the lease expires by
// PX on Redis's clock, so replicas whose clocks disagree still agree on it.
func (s *RedisStore) Acquire(ctx context.Context, account, owner string, ttl time.Duration) (int64, bool, error) {
	if err := checkLeaseTTL(ttl); err != nil {
		return 0, false, err
	}
	b := s.base(account)
	f, err := luaAcquire.Run(ctx, s.rdb, []string{b + "lease", b + "fence"}, owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("mirror: acquire lease: %w", err)
	}
	return f, f > 0, nil
}

// Renew implements Leases.
func (s *RedisStore) Renew(ctx context.Context, account string, fence int64, ttl time.Duration) (bool, error) {
	if err := checkLeaseTTL(ttl); err != nil {
		return false, err
	}
	_, err := fencedResult(luaRenew.Run(ctx, s.rdb, []string{s.base(account) + "lease"}, fence, ttl.Milliseconds()).Int64())
	if errors.Is(err, ErrFenced) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mirror: renew lease: %w", err)
	}
	return true, nil
}

// Release implements Leases. Releasing a lease that is no longer fence's
// does nothing.
func (s *RedisStore) Release(ctx context.Context, account string, fence int64) error {
	_, err := fencedResult(luaRelease.Run(ctx, s.rdb, []string{s.base(account) + "lease"}, fence).Int64())
	if err != nil && !errors.Is(err, ErrFenced) {
		return fmt.Errorf("mirror: release lease: %w", err)
	}
	return nil
}
