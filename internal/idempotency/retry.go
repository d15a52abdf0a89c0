package idempotency

import (
	"context"
	"errors"
	"time"
)

// Completing or releasing a claim is retried this often, pausing
// firstPause and then twice as long each time: a Redis blip (a failover, a
// dropped connection) lasts milliseconds, and a lost record could let a
// retry of the caller act twice, or a lost release keep the key uncertain.
const (
	finishAttempts = 3
	firstPause     = 25 * time.Millisecond
)

// CompleteRetrying is s.Complete, tried up to three times with short pauses
// while it fails for another reason than ErrNotOwner or ctx. Complete is
// idempotent for its owner, so an attempt that landed but whose answer was
// lost is harmless to repeat. It returns the last error.
func CompleteRetrying(ctx context.Context, s Store, key, owner string, rec Record, keep time.Duration) error {
	return retrying(ctx, func() error { return s.Complete(ctx, key, owner, rec, keep) })
}

// ReleaseRetrying is s.Release, retried like CompleteRetrying.
func ReleaseRetrying(ctx context.Context, s Store, key, owner string) error {
	return retrying(ctx, func() error { return s.Release(ctx, key, owner) })
}

func retrying(ctx context.Context, op func() error) error {
	pause := firstPause
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt == finishAttempts || errors.Is(err, ErrNotOwner) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 2
	}
}
