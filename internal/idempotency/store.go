// Package idempotency keeps the outcome of each POST sent with an
// Idempotency-Key (SPEC §5), so that a retry replays it instead of acting
// twice. Its records are state that must not be lost, not a cache: a record
// dropped too early could let a text go out twice. It has one store in
// process memory, for a single replica with no Redis configured, and one in
// Redis, shared by replicas; both pass one conformance suite.
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The lifetimes of SPEC §5.
const (
	// Keep is how long a record, or an abandoned claim, answers for its key.
	Keep = 24 * time.Hour
	// DefaultLease is how long a claim is held for a request in flight
	// before, its owner presumed dead, the key answers Abandoned.
	DefaultLease = 60 * time.Second
	// MaxLease is the longest lease SPEC §5 allows: a replica killed
	// mid-request leaves its key stuck for at most this long.
	MaxLease = 60 * time.Second
)

// ErrNotOwner is returned by Complete and Release when the key is held by
// another owner's claim or record: only the request that claimed a key may
// complete or release it.
var ErrNotOwner = errors.New("idempotency: the key is held by another owner")

// ErrCorrupt is returned when a stored value cannot be read. It is never
// answered as a replay or as a free key.
var ErrCorrupt = errors.New("idempotency: corrupt stored value")

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

// Outcome is what Begin found under a key.
type Outcome int

// The outcomes of Begin.
const (
	// Claimed: the key was free and now belongs to this request (the Owner
	// of the BeginResult), which must end with Complete (the upstream may
	// have received the request) or Release (it provably did not).
	Claimed Outcome = iota + 1
	// Replay: a completed record for the same body exists; replay it
	// (Idempotent-Replayed: true) without calling the upstream.
	Replay
	// InFlight: a request with the same key and body holds a claim whose
	// lease is running (409 idempotency-key-in-use).
	InFlight
	// Mismatch: the key was used with another body, completed or in
	// flight (422 idempotency-key-reused).
	Mismatch
	// Abandoned: a claim for the same body outlived its lease without being
	// completed or released: its owner died after it may have sent the
	// request. Its outcome is unknown and stays so for the claim's keep;
	// the request must never be sent again under this key (504
	// upstream-timeout, retriable false).
	Abandoned
)

// String names the outcome, for logs and test failures.
func (o Outcome) String() string {
	switch o {
	case Claimed:
		return "claimed"
	case Replay:
		return "replay"
	case InFlight:
		return "in-flight"
	case Mismatch:
		return "mismatch"
	case Abandoned:
		return "abandoned"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// BeginResult is the answer of Begin.
type BeginResult struct {
	Outcome Outcome
	// Owner is the claim's owner token when Outcome is Claimed: the only
	// token Complete and Release accept for the key.
	Owner string
	// Record is the completed record when Outcome is Replay.
	Record Record
}

// Store records POST outcomes per key (SPEC §5, Idempotency). Callers build
// the key with TenantKey, so that tenants never share records; the store
// hashes it again so that a raw key is never stored.
//
// A key is free, claimed (by one owner, with a lease), or completed (a
// record, kept by its owner's token). A different body wins over in flight:
// a request whose key is claimed for another body gets Mismatch (422), not
// InFlight (409), since the 409 invites a retry that could only end in 422.
//
// Implementations are safe for concurrent use and every method is one
// atomic step: of any number of concurrent Begins of a free key exactly one
// is Claimed.
type Store interface {
	// Begin claims key for a request whose body hashes to bodyHash. The
	// claim's lease runs for lease: until then the key answers InFlight,
	// after it Abandoned. The claim itself, like a record, is kept for keep.
	Begin(ctx context.Context, key, bodyHash string, lease, keep time.Duration) (BeginResult, error)
	// Complete stores rec as key's outcome for keep, replacing owner's
	// claim, even after its lease ran out (the true outcome beats an
	// unknown one). It is idempotent for its owner: completing again keeps
	// the first record and returns nil, so a completion whose answer was
	// lost may be retried. ErrNotOwner when another owner holds the key.
	// A key found empty (the claim lost with a Redis restart) is completed
	// all the same: the outcome is worth keeping.
	Complete(ctx context.Context, key, owner string, rec Record, keep time.Duration) error
	// Release drops owner's claim so that a retry may send the request
	// again: only for a request the upstream provably did not receive. It
	// never removes a record, returns nil when the key is empty, and
	// ErrNotOwner when another owner holds the key.
	Release(ctx context.Context, key, owner string) error
}

// TenantKey is the store key of a tenant's Idempotency-Key: two tenants
// never share records, and no key of one can be spelled by another (a
// tenant id never holds a NUL byte).
func TenantKey(tenant, key string) string {
	return tenant + "\x00" + key
}

// RequestHash identifies a POST for its key: its method, path and body.
// A retry that hashes differently is another request (Mismatch).
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ownerBytes is the entropy of an owner token; tokens are its hex form.
const ownerBytes = 16

// newOwner returns a random owner token.
func newOwner() string {
	var b [ownerBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// validOwner reports whether owner has the form of a token newOwner makes,
// so that an empty or truncated token can never match a stored prefix.
func validOwner(owner string) bool {
	if len(owner) != 2*ownerBytes {
		return false
	}
	_, err := hex.DecodeString(owner)
	return err == nil
}

// storedKey is the stored form of key, so that no caller data is stored in
// clear. It is the derivation the gateway has always used for these keys,
// so that replicas of an earlier release, during a rolling upgrade, meet
// the same keys: they cannot read the new values and refuse (409, 422 or
// 500), but never send a request a newer replica holds.
func storedKey(key string) string { return hashKey("idempotency", key) }

// hashKey is the base64url SHA-256 of the length-prefixed parts.
func hashKey(parts ...string) string {
	var buf []byte
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkTerms validates the lifetimes given to Begin.
func checkTerms(lease, keep time.Duration) error {
	if lease <= 0 || keep < lease {
		return fmt.Errorf("idempotency: begin: want 0 < lease <= keep, got lease %v, keep %v", lease, keep)
	}
	return nil
}

// judgeClaim is the outcome of Begin over a live claim.
func judgeClaim(bodyHash, claimHash string, leaseRunning bool) BeginResult {
	switch {
	case claimHash != bodyHash:
		return BeginResult{Outcome: Mismatch}
	case leaseRunning:
		return BeginResult{Outcome: InFlight}
	default:
		return BeginResult{Outcome: Abandoned}
	}
}

// judgeRecord is the outcome of Begin over a completed record.
func judgeRecord(bodyHash string, rec Record) BeginResult {
	if rec.BodyHash != bodyHash {
		return BeginResult{Outcome: Mismatch}
	}
	return BeginResult{Outcome: Replay, Record: rec}
}
