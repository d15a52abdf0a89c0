package cache

import (
	"context"
	"fmt"
	"time"
)

// Record is the stored outcome of a POST, replayed for a retry with the same
// Idempotency-Key and body.
type Record struct {
	// BodyHash identifies the request body the record answers; a retry
	// with another body is refused (422 idempotency-key-reused).
	BodyHash string
	// Status, Header and Body are the response as first sent.
	Status int
	Header map[string]string
	Body   []byte
	// CreatedAt is when the response was produced; Complete sets it from
	// the store's clock when zero.
	CreatedAt time.Time
}

// BeginOutcome is what Begin found under a key.
type BeginOutcome int

// The outcomes of Begin.
const (
	// BeginClaimed: the key was free and now belongs to this request, which
	// must end with Complete (a response to replay) or Release (nothing
	// happened upstream, or the attempt must be retriable).
	BeginClaimed BeginOutcome = iota + 1
	// BeginReplay: a completed record for the same body exists; replay it
	// (Idempotent-Replayed: true) without calling the upstream.
	BeginReplay
	// BeginInFlight: a request with the same key and body is still in
	// flight (409 idempotency-key-in-use).
	BeginInFlight
	// BeginMismatch: the key was used with another body, completed or in
	// flight (422 idempotency-key-reused).
	BeginMismatch
)

// String names the outcome, for logs and test failures.
func (o BeginOutcome) String() string {
	switch o {
	case BeginClaimed:
		return "claimed"
	case BeginReplay:
		return "replay"
	case BeginInFlight:
		return "in-flight"
	case BeginMismatch:
		return "mismatch"
	}
	return fmt.Sprintf("BeginOutcome(%d)", int(o))
}

// BeginResult is the answer of Begin.
type BeginResult struct {
	Outcome BeginOutcome
	// Record is the completed record when Outcome is BeginReplay.
	Record Record
}

// IdempotencyStore records POST outcomes per key (SPEC §5, Idempotency).
// Callers build the key from the tenant and the Idempotency-Key header, so
// that tenants never share records; the store hashes it again so a raw key
// is never stored.
//
// A different body wins over in flight: a request whose key is in flight
// for another body gets BeginMismatch (422), not BeginInFlight (409). The
// 409 invites a retry that could only ever end in 422, while the 422 names
// the caller's actual mistake at once.
//
// Implementations are safe for concurrent use, and Begin is atomic: of any
// number of concurrent Begins of a free key exactly one is BeginClaimed.
type IdempotencyStore interface {
	// Begin claims key for a request whose body hashes to bodyHash, for at
	// most inflightTTL (longer than the upstream call may take: when it
	// runs out the key is free again).
	Begin(ctx context.Context, key, bodyHash string, inflightTTL time.Duration) (BeginResult, error)
	// Complete stores rec as key's outcome for keep (24 h), replacing the
	// claim. A record already completed under key is kept: the first
	// response is the one replayed. Complete only successful or
	// deterministic outcomes, never an upstream 5xx or timeout.
	Complete(ctx context.Context, key string, rec Record, keep time.Duration) error
	// Release drops key's claim so that a retry may proceed. It never
	// removes a completed record.
	Release(ctx context.Context, key string) error
}

// idempotencyKey is the stored form of a caller's key.
func idempotencyKey(key string) string { return Key("idempotency", key) }

// recordVersion is the layout of an encoded Record.
const recordVersion = 1

// encodeRecord lays out r as: version, BodyHash, Status, CreatedAt, Header,
// Body.
func encodeRecord(r Record) []byte {
	enc := encoder{buf: make([]byte, 0, 64+len(r.BodyHash)+len(r.Body))}
	enc.buf = append(enc.buf, recordVersion)
	enc.string(r.BodyHash)
	enc.varint(int64(r.Status))
	enc.time(r.CreatedAt)
	enc.header(r.Header)
	enc.buf = append(enc.buf, r.Body...)
	return enc.buf
}

// decodeRecord is the inverse of encodeRecord.
func decodeRecord(b []byte) (Record, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return Record{}, errCorrupt
	}
	d := decoder{buf: b[1:]}
	r := Record{BodyHash: d.string(), Status: int(d.varint()), CreatedAt: d.time()}
	r.Header = d.header()
	r.Body = d.rest()
	if d.err != nil {
		return Record{}, d.err
	}
	return r, nil
}

// judge turns what Begin found (a claim for claimHash, or a completed rec)
// into its outcome for bodyHash.
func judge(bodyHash string, inFlight bool, claimHash string, rec Record) BeginResult {
	switch {
	case inFlight && claimHash == bodyHash:
		return BeginResult{Outcome: BeginInFlight}
	case inFlight:
		return BeginResult{Outcome: BeginMismatch}
	case rec.BodyHash == bodyHash:
		return BeginResult{Outcome: BeginReplay, Record: rec}
	default:
		return BeginResult{Outcome: BeginMismatch}
	}
}
