package events

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// Type is an event's type.
type Type string

// The event types (SPEC §8).
const (
	// CallCreated: a follow or revisit found a call the mirror did not hold.
	CallCreated Type = "call.created"
	// CallUpdated: a held call's normalized record changed.
	CallUpdated Type = "call.updated"
)

// Types lists every event type, in the order documentation shows them.
var Types = []Type{CallCreated, CallUpdated}

// DefaultKeep is how long events are kept at least (SPEC §8: 24 h).
const DefaultKeep = 24 * time.Hour

// Event is one recorded change of a call, as streams and webhooks send it.
type Event struct {
	// ID is opaque to callers; it increases in recording order and is the
	// same on every replica. Internally it is "<unix ms>-<seq>", the shape
	// of a Redis stream id, in both logs.
	ID   string `json:"id" example:"1764676800000-0"`
	Type Type   `json:"type" example:"call.created"`
	// CreatedAt is when the event was recorded (the time part of its id).
	CreatedAt time.Time   `json:"created_at" example:"2025-12-02T12:00:00Z"`
	Data      domain.Call `json:"data"`

	frame []byte // the SSE encoding, when the hub made it (sse.go)
} // @name Event

// Log is the event log of every account, each apart from the others.
// Implementations are safe for concurrent use and pass one conformance
// suite (log_suite_test.go).
type Log interface {
	// Append records an event of typ for call and returns it with its id.
	Append(ctx context.Context, account string, typ Type, call domain.Call) (Event, error)
	// Read returns up to limit kept events recorded after afterID, oldest
	// first. An empty afterID, or one older than the oldest kept event,
	// reads from the oldest kept.
	Read(ctx context.Context, account, afterID string, limit int) ([]Event, error)
	// Wait is Read that, when nothing is recorded after afterID yet, waits
	// up to block for the first event that is, and returns nothing when
	// none came.
	Wait(ctx context.Context, account, afterID string, limit int, block time.Duration) ([]Event, error)
	// Last returns the id of the newest kept event, or "0-0" when none is
	// kept: reading after it returns only events recorded later.
	Last(ctx context.Context, account string) (string, error)
}

// id is a parsed event id.
type id struct{ ms, seq uint64 }

// zeroID precedes every event id.
const zeroID = "0-0"

func (i id) String() string {
	return strconv.FormatUint(i.ms, 10) + "-" + strconv.FormatUint(i.seq, 10)
}

func (i id) less(j id) bool { return i.ms < j.ms || (i.ms == j.ms && i.seq < j.seq) }

func (i id) time() time.Time { return time.UnixMilli(int64(i.ms)).UTC() }

// parseID parses "<ms>-<seq>".
func parseID(s string) (id, error) {
	ms, seq, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || ms == "" || seq == "" || ms[0] == '+' || seq[0] == '+' {
		return id{}, fmt.Errorf("events: %q is not an event id", s)
	}
	return id{a, b}, nil
}

// ValidID reports whether s is an event id this gateway could have issued:
// what a resumed stream may name as its last event.
func ValidID(s string) bool {
	_, err := parseID(s)
	return err == nil
}

// Before reports whether event id a was recorded before b; both must be
// valid ids (ValidID).
func Before(a, b string) bool {
	x, err1 := parseID(a)
	y, err2 := parseID(b)
	return err1 == nil && err2 == nil && x.less(y)
}

// Age returns how long before now the event with id s was recorded; zero
// for an invalid id.
func Age(s string, now time.Time) time.Duration {
	i, err := parseID(s)
	if err != nil {
		return 0
	}
	return now.Sub(i.time())
}
