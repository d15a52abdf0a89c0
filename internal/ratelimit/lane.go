package ratelimit

import "context"

// Lane is the kind of work an admission is for (SPEC §7). Both lanes count
// in the account's one window, on the same Store: a lane is not a second
// limiter but a lower limit within the same window. A caller's live request
// may use the whole window; background work (the call-history mirror) is
// admitted only while at least Reserve(limit) slots stay free after it, so a
// live request never waits or fails for budget because of the mirror.
type Lane int

// The lanes.
const (
	// Caller is a caller's live request: the default lane.
	Caller Lane = iota
	// Background is work nobody is waiting on: the mirror's sync.
	Background
)

// ReservePercent is the share of the window kept for callers.
const ReservePercent = 20

// String names the lane for logs and metric labels.
func (l Lane) String() string {
	if l == Background {
		return "background"
	}
	return "caller"
}

// Reserve is the number of slots of a limit that background work never
// takes: ReservePercent of it, rounded up (10 of 50, 1 of 1).
func Reserve(limit int) int {
	return (limit*ReservePercent + 99) / 100
}

// LaneLimit is the limit an admission in lane is decided against: the whole
// limit for callers, limit − Reserve(limit) for background work. The store
// counts every admission of the window whatever its lane, so a background
// admission is refused exactly when taking it would leave fewer than
// Reserve(limit) free. It is 0 (background never admitted) for a limit of 1.
func LaneLimit(limit int, lane Lane) int {
	if lane == Background {
		return limit - Reserve(limit)
	}
	return limit
}

// laneKey carries a Lane in a context.
type laneKey struct{}

// WithLane returns ctx carrying lane: Budget.Wait admits the request in it.
// The Phonewagon client passes its context to Wait unchanged, so a syncer
// marks its context once and every upstream request it makes is background
// work.
func WithLane(ctx context.Context, lane Lane) context.Context {
	return context.WithValue(ctx, laneKey{}, lane)
}

// LaneOf returns the lane ctx carries, Caller when none.
func LaneOf(ctx context.Context) Lane {
	if l, ok := ctx.Value(laneKey{}).(Lane); ok {
		return l
	}
	return Caller
}
