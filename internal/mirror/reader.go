package mirror

import (
	"cmp"
	"context"
	"time"

	"switchboard/internal/domain"
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
}

// Query returns one page of the account's calls.
func (r *Reader) Query(ctx context.Context, q Query) (Page, error) {
	return r.Store.Query(ctx, r.Account, q)
}

// Get returns one of the account's calls by id.
func (r *Reader) Get(ctx context.Context, id string) (domain.Call, bool, error) {
	return r.Store.Get(ctx, r.Account, id)
}

// State returns the account's sync state.
func (r *Reader) State(ctx context.Context) (State, error) {
	return r.Store.State(ctx, r.Account)
}

// Count returns the number of the account's calls held.
func (r *Reader) Count(ctx context.Context) (int, error) {
	return r.Store.Count(ctx, r.Account)
}

// Follow records a follow request and waits until a follow that started
// after it has completed, or ctx ends (its error is returned). Callers
// that request while a follow is pending share the next one: the syncer
// serves every request up to the newest it saw when it started.
func (r *Reader) Follow(ctx context.Context) error {
	seq, err := r.Follows.RequestFollow(ctx, r.Account)
	if err != nil {
		return err
	}
	tick := time.NewTicker(cmp.Or(r.Poll, defaultFollowPoll))
	defer tick.Stop()
	for {
		done, err := r.Follows.Followed(ctx, r.Account)
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
