package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// errBackendDown is what a guarded call returns, without asking the
// backend, while the backend is cooling down after a failure.
var errBackendDown = errors.New("cache: backend unavailable, cooling down")

// guard bounds every backend call with a timeout and, after a failure,
// skips the backend for a cooldown. Without the cooldown an unreachable
// Redis would add a timeout to every step of every request (read, lock,
// store); with it, one request per cooldown pays to find out whether Redis
// is back, and the cache resumes as soon as it is. A guard is safe for
// concurrent use.
type guard struct {
	timeout  time.Duration
	cooldown time.Duration
	now      func() time.Time
	// downUntil is the Unix nanosecond time before which calls are skipped.
	downUntil atomic.Int64
}

// do runs op with the timeout. A failure trips the cooldown unless it came
// from ctx itself (the caller went away: that says nothing about the
// backend).
func (g *guard) do(ctx context.Context, op func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.now().UnixNano() < g.downUntil.Load() {
		return errBackendDown
	}
	cctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := op(cctx)
	if err != nil && ctx.Err() == nil {
		g.downUntil.Store(g.now().Add(g.cooldown).UnixNano())
	}
	return err
}
