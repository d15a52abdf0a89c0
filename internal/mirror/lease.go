package mirror

import (
	"context"
	"time"
)

// Leases grants each account one syncer across all replicas. A grant
// carries a fencing token that increases with every new grant of the
// account, so that a replica whose lease ran out (a pause, a partition) and
// that still believes it holds it is refused by every Store write (ErrFenced)
// rather than overwriting what the new holder wrote. Implementations are
// safe for concurrent use; memory and Redis ones pass one conformance suite.
type Leases interface {
	// Acquire takes the account's lease for ttl when it is free, returning
	// a new fencing token and true; when another owner holds it, 0 and
	// false. owner names the replica, for /v1/sync and the logs.
	Acquire(ctx context.Context, account, owner string, ttl time.Duration) (fence int64, ok bool, err error)
	// Renew extends the lease by ttl while fence is still its token; false
	// means it was lost and the holder must stop writing.
	Renew(ctx context.Context, account string, fence int64, ttl time.Duration) (bool, error)
	// Release gives the lease up at once when fence is still its token, so
	// another replica can take over without waiting for the ttl.
	Release(ctx context.Context, account string, fence int64) error
}

// FollowRequests lets a caller on any replica ask the account's syncer for
// a follow now (Cache-Control: no-cache on a mirrored read) and wait for
// it. Requests made while one is pending share the follow that serves them.
type FollowRequests interface {
	// RequestFollow records a request and returns its sequence number.
	RequestFollow(ctx context.Context, account string) (int64, error)
	// Requested returns the newest sequence number requested (the syncer
	// polls it).
	Requested(ctx context.Context, account string) (int64, error)
	// MarkFollowed records that a follow which started after request seq
	// was made has completed; fenced like every sync write.
	MarkFollowed(ctx context.Context, account string, fence, seq int64) error
	// Followed returns the newest sequence number served by a completed
	// follow (the callers poll it).
	Followed(ctx context.Context, account string) (int64, error)
}
