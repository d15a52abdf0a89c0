package mirror

import (
	"cmp"
	"context"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/storehealth"
)

// defaultFollowPoll is how often Reader.Follow asks whether the follow it
// requested has completed: a small fraction of a follow's one upstream
// request, and a cheap read on Redis.
const defaultFollowPoll = 50 * time.Millisecond

// Reader is one account's mirror as the HTTP layer reads it: the Store's
// reads bound to the account, and a follow on request (Cache-Control:
// no-cache). It writes nothing but follow requests, so it needs no lease and
// works on every replica. It is safe for concurrent use.
type Reader struct {
	// Store holds the account's calls and state.
	Store Store
	// Follows carries follow requests to the account's syncer, on whichever
	// replica holds the lease.
	Follows FollowRequests
	// Account is the Phonewagon account (config.Phonewagon.Account()).
	Account string
	// Poll is how often Follow checks for completion; 0 means 50 ms.
	Poll time.Duration
	// Health, when set (a RedisStore), guards every call as the other users
	// of the Redis client are guarded: bounded, and while Redis cools down
	// after a failure refused at once with storehealth.ErrDown, so that a
	// read falls back to the upstream without waiting on a dead Redis.
	Health *storehealth.Health
}

// do runs op through Health when there is one.
func (r *Reader) do(ctx context.Context, op func(ctx context.Context) error) error {
	if r.Health == nil {
		return op(ctx)
	}
	return r.Health.Do(ctx, op)
}

// Query returns one page of the account's calls.
func (r *Reader) Query(ctx context.Context, q Query) (p Page, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		p, err = r.Store.Query(ctx, r.Account, q)
		return err
	})
	return p, err
}

// Get returns one of the account's calls by id.
func (r *Reader) Get(ctx context.Context, id string) (c domain.Call, ok bool, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		c, ok, err = r.Store.Get(ctx, r.Account, id)
		return err
	})
	return c, ok, err
}

// State returns the account's sync state.
func (r *Reader) State(ctx context.Context) (st State, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		st, err = r.Store.State(ctx, r.Account)
		return err
	})
	return st, err
}

// Count returns the number of the account's calls held.
func (r *Reader) Count(ctx context.Context) (n int, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		n, err = r.Store.Count(ctx, r.Account)
		return err
	})
	return n, err
}

// Follow records a follow request and waits until a follow that started
// after it has completed, or ctx ends (its error is returned). Callers
// that request while a follow is pending share the next one: the syncer
// serves every request up to the newest it saw when it started.
func (r *Reader) Follow(ctx context.Context) error {
	var seq int64
	err := r.do(ctx, func(ctx context.Context) (err error) {
		seq, err = r.Follows.RequestFollow(ctx, r.Account)
		return err
	})
	if err != nil {
		return err
	}
	tick := time.NewTicker(cmp.Or(r.Poll, defaultFollowPoll))
	defer tick.Stop()
	for {
		var done int64
		err := r.do(ctx, func(ctx context.Context) (err error) {
			done, err = r.Follows.Followed(ctx, r.Account)
			return err
		})
		if err != nil {
			return err
		}
		if done >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
