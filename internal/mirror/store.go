package mirror

import (
	"context"
	"errors"
	"time"

	"switchboard/internal/domain"
)

// ErrFenced is returned by a write whose fencing token is no longer the
// account's current lease: a replica that lost the lease stops writing.
var ErrFenced = errors.New("mirror: write refused: the lease is held by another syncer")

// Key is a position in an account's history in serving order: newest first
// (StartedAt descending), ties by ID descending. StartedAt is in epoch
// milliseconds, as the upstream counts. A call without a start time sorts
// as StartedAt 0 (the oldest).
type Key struct {
	StartedAt int64
	ID        string
}

// Query selects one page of mirrored calls. Zero fields are unset.
type Query struct {
	// CompanyID keeps the calls of one company.
	CompanyID string
	// CampaignName keeps the calls of one campaign, named as the call
	// records name it (they carry no campaign id); it needs CompanyID.
	CampaignName string
	// Since (inclusive) and Until (exclusive) bound the start time.
	Since, Until time.Time
	// After continues a walk: the page starts strictly after this key in
	// serving order. Calls added later with a newer start time never shift
	// a walk that is under way.
	After *Key
	// Limit is the page size, 1..1000.
	Limit int
	// Encoded asks for the calls as stored, in Page.Records, instead of
	// decoded into Page.Calls: a page served as JSON needs no decoding and
	// encoding again.
	Encoded bool
}

// Page is one page of mirrored calls in serving order; Next is the key to
// pass as After for the following page, nil on the last one.
type Page struct {
	// Calls holds the calls of a query that is not Encoded.
	Calls []domain.Call
	// Records holds, for an Encoded query, each call's JSON exactly as the
	// API serves it: the bytes encoding/json writes for the domain.Call that
	// Calls would hold, so that joining them gives the body a decoded page
	// would have (the memory store shares its held strings; nothing copies).
	Records []string
	Next    *Key
}

// Change says what an upsert did with one call.
type Change int

// The outcomes of an upsert, per call.
const (
	// Unchanged: the mirror held the same normalized record.
	Unchanged Change = iota
	// Created: the mirror did not hold the call.
	Created
	// Updated: the mirror held the call with another normalized record.
	Updated
)

// PendingChange is a change UpsertPending wrote that is not announced yet:
// the call's id and whether it was Created or Updated.
type PendingChange struct {
	ID     string
	Change Change
}

// State is an account's sync state, written only by the lease holder.
type State struct {
	// CoveredFrom is the oldest instant from which the mirror holds every
	// call; zero until the first backfill completes. The Unix epoch means
	// "the beginning of history" (the backfill reached its end).
	CoveredFrom time.Time
	// SyncedAt is when the last successful follow started.
	SyncedAt time.Time
	// Newest is the start time of the newest call held: the follow's
	// watermark, moved only when a follow completes.
	Newest time.Time
	// Backfill is the query of the backfill's next page; nil once the
	// backfill is done or before it started (BackfillDone tells which).
	Backfill     *domain.CallsQuery
	BackfillDone bool
	// LastError is the kind ("upstream-unavailable", ...) and time of the
	// last failed sync request; zero after a success.
	LastError   string
	LastErrorAt time.Time
}

// Store holds the mirrored calls and sync state of every account, each
// account apart from the others. Implementations are safe for concurrent
// use; every method that writes takes the fencing token of the account's
// lease and returns ErrFenced when it is stale.
type Store interface {
	// Upsert writes calls keyed by id, comparing each with the normalized
	// record held, and reports per call what it did, in order. Records,
	// the time order and the company and campaign indexes change together
	// (atomically on Redis).
	Upsert(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error)
	// UpsertPending is Upsert that also leaves every call it created or
	// updated pending announcement, in the same atomic step, until
	// Announced clears it: the events of a change cannot be lost between
	// writing the call and recording them, whoever holds the lease next
	// finds them in Pending. A call pending as created stays so when it is
	// updated before it is announced.
	UpsertPending(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error)
	// Pending returns the changes UpsertPending left that Announced has
	// not cleared, in no particular order.
	Pending(ctx context.Context, account string) ([]PendingChange, error)
	// Announced clears the pending changes of ids (ids not pending are
	// ignored).
	Announced(ctx context.Context, account string, fence int64, ids []string) error
	// Get returns one call by id.
	Get(ctx context.Context, account, id string) (domain.Call, bool, error)
	// Query returns one page in serving order, in a bounded number of
	// round trips whatever the history's size: decoded calls, or their
	// JSON when q.Encoded.
	Query(ctx context.Context, account string, q Query) (Page, error)
	// Count returns the number of calls held.
	Count(ctx context.Context, account string) (int, error)
	// Trim drops the calls that started before before (retention).
	Trim(ctx context.Context, account string, fence int64, before time.Time) error
	// State returns the account's sync state (the zero State when none).
	State(ctx context.Context, account string) (State, error)
	// SaveState replaces the account's sync state.
	SaveState(ctx context.Context, account string, fence int64, s State) error
}
