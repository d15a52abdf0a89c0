package events

import (
	"context"
	"errors"
	"time"
)

// Pending is an event handed to a consumer and not acknowledged yet.
type Pending struct {
	ID string
	// Consumer is the replica it was last handed to.
	Consumer string
	// Idle is how long since it was last handed out or touched.
	Idle time.Duration
	// Deliveries counts the times it was handed out.
	Deliveries int64
}

// Result is the outcome of one delivery attempt, as GET /v1/webhooks
// shows it.
type Result struct {
	At time.Time
	// Status is the receiver's HTTP status; 0 when none came (timeout,
	// refused connection).
	Status int
}

// Queue is the delivery state of webhook endpoints: a consumer group per
// endpoint reading its account's log, each event handed to one consumer
// (replica) at a time, kept pending until acknowledged (Redis Streams
// consumer groups; their memory equivalent). Implementations are safe for
// concurrent use.
type Queue interface {
	// Join creates the group at the log's current end when it does not
	// exist: an endpoint receives the events recorded after it was first
	// configured.
	Join(ctx context.Context, account, group string) error
	// ReadNew hands consumer up to limit events never handed to the group,
	// waiting up to block for one.
	ReadNew(ctx context.Context, account, group, consumer string, limit int, block time.Duration) ([]Event, error)
	// Pending lists up to limit pending events, oldest first.
	Pending(ctx context.Context, account, group string, limit int) ([]Pending, error)
	// Claim hands pending event id to consumer when it has been idle at
	// least minIdle, counting a delivery; false when it was not (another
	// consumer claimed it first, it was acknowledged, or it is no longer
	// kept, in which case it is acknowledged).
	Claim(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (Event, bool, error)
	// Keep restarts the idle time of pending event id for consumer, without
	// counting a delivery, only when it has been idle at least minIdle:
	// false when it was not, because another consumer claimed it since
	// (which restarted its idle time), or when it is no longer pending.
	// A replica attempting the events of a batch one after another keeps
	// each before its attempt, so that none is taken over while attempted;
	// with minIdle 0 after a failed attempt, so that the retry delay runs
	// from the attempt's end.
	Keep(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (bool, error)
	// Ack removes an event from the pending ones: delivered or given up.
	Ack(ctx context.Context, account, group, id string) error
	// Backlog counts the events pending or not yet handed out.
	Backlog(ctx context.Context, account, group string) (int64, error)
	// SaveResult records the group's last success (ok) or failure.
	SaveResult(ctx context.Context, account, group string, ok bool, r Result) error
	// Results returns the group's last success and failure; zero when none.
	Results(ctx context.Context, account, group string) (success, failure Result, err error)
	// Drop deletes the group with its pending events, the events not yet
	// handed to it and its results, in one step, and returns how many
	// events it was owed (its backlog): a reload removed the endpoint, and
	// they are given up. It returns 0 when the group does not exist (never
	// joined, or dropped already by another replica), so that one replica
	// counts what is given up. A consumer that still reads the group gets
	// ErrNoGroup.
	Drop(ctx context.Context, account, group string) (int64, error)
}

// ErrNoGroup is returned by a queue for a group that does not exist:
// never joined, or dropped since (a replica whose reload removed the
// endpoint). Join creates it again.
var ErrNoGroup = errors.New("events: no such consumer group")
