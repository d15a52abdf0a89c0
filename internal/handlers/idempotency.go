package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/idempotency"
)

// Idempotency settings (SPEC §5).
const (
	maxIdempotencyKeyLen = 255
	// idempotencyStoreRetry is the Retry-After of a keyed POST refused while
	// the idempotency store is unreachable: Redis client timeouts are under
	// a second, and a brief outage (a failover) is over within seconds.
	idempotencyStoreRetry = 5 * time.Second
)

// replayedHeaders are the response headers a record keeps; the rest are
// set anew on every response (request id, rate limit).
var replayedHeaders = []string{"Content-Type", "Retry-After", "Cache-Control", "X-Content-Type-Options"}

// idemAttempt is one POST's progress through the idempotency store. The
// zero value (no Idempotency-Key) does nothing.
type idemAttempt struct {
	s     *Server
	key   string
	hash  string
	owner string // the claim's owner token; empty without a claim
	done  bool   // the response was already written (a replay)
}

// beginIdempotent checks the Idempotency-Key of a POST. It writes a replay
// itself (done is then true), or returns the problem to answer, or a claim
// that the handler ends with succeed, fail or release.
func (s *Server) beginIdempotent(w http.ResponseWriter, r *http.Request, tenant string, body []byte) (*idemAttempt, error) {
	a := &idemAttempt{s: s}
	vals := r.Header.Values("Idempotency-Key")
	if len(vals) == 0 {
		return a, nil
	}
	if len(vals) > 1 || !validIdempotencyKey(vals[0]) {
		return nil, domain.ValidationError(domain.FieldError{Field: "Idempotency-Key",
			Message: "must be one header of 1 to 255 printable ASCII characters"})
	}
	a.key = idempotency.TenantKey(tenant, vals[0])
	a.hash = idempotency.RequestHash(r.Method, r.URL.Path, body)

	res, err := s.idempotency.Begin(r.Context(), a.key, a.hash, s.idemLease, idempotency.Keep)
	if err != nil {
		return nil, storeFailure(err)
	}
	switch res.Outcome {
	case idempotency.Claimed:
		a.owner = res.Owner
		return a, nil
	case idempotency.Replay:
		writeRecord(w, res.Record)
		a.done = true
		return a, nil
	case idempotency.InFlight:
		return nil, domain.Errorf(domain.CodeIdempotencyKeyInUse,
			"a request with this Idempotency-Key is still in flight; retry when it has finished")
	case idempotency.Mismatch:
		return nil, domain.Errorf(domain.CodeIdempotencyKeyReused,
			"this Idempotency-Key was used with another request body")
	case idempotency.Abandoned:
		// The first request's replica died after it may have sent the
		// action: its outcome is unknown, like a timeout after sending, and
		// it is answered like one. Nothing is sent again.
		w.Header().Set("Idempotent-Replayed", "true")
		return nil, &domain.Error{Code: domain.CodeUpstreamTimeout, NotRetriable: true,
			Message: "an earlier request with this Idempotency-Key was interrupted before its outcome was known; the action may have happened, so it is not sent again"}
	}
	return nil, domain.Errorf(domain.CodeInternal, "an internal error occurred")
}

// storeFailure answers a Begin that failed. Without the store a keyed POST
// could act twice, so it is refused: with 503 upstream-unavailable and a
// Retry-After while the store cannot be reached, since SPEC §4 has no slug
// of its own for the gateway's shared state, and upstream-unavailable is
// the 503 that means "a service this request needs is down, retry later"
// (the budget and rate-limit slugs would each tell a falsehood). A value
// the store cannot read is the gateway's own fault: internal.
func storeFailure(err error) error {
	if errors.Is(err, idempotency.ErrCorrupt) {
		return domain.Wrap(err, domain.CodeInternal, "an internal error occurred")
	}
	e := domain.Wrap(err, domain.CodeUpstreamUnavailable,
		"the request was not sent: its Idempotency-Key cannot be checked right now; retry after the Retry-After delay")
	e.RetryAfter = idempotencyStoreRetry
	return e
}

// writeRecord replays a stored response.
func writeRecord(w http.ResponseWriter, rec idempotency.Record) {
	for k, v := range rec.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// validIdempotencyKey accepts 1–255 visible ASCII characters.
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// succeed records and writes a successful action answer. The record is
// stored before the answer is written, so that a caller who retries after a
// lost answer gets the replay, never a second action.
func (a *idemAttempt) succeed(ctx context.Context, w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	body = append(body, '\n')
	const ct = "application/json; charset=utf-8"
	a.complete(ctx, idempotency.Record{BodyHash: a.hash, Status: status, Header: map[string]string{"Content-Type": ct}, Body: body})
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// fail answers a failed upstream call. A failure that proves nothing was
// done (the upstream never received the request, or refused the caller's
// input) releases the key for another try; any other
// (a 5xx, a timeout after sending) is recorded before it is written, so that
// a retry with the same key replays it instead of sending again (see
// idempotency.Releases).
func (a *idemAttempt) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) error {
	if a.owner == "" {
		return err
	}
	if idempotency.Releases(err) {
		a.release(ctx)
		return err
	}
	// Rendered under ctx, which outlives the caller, so that the problem
	// is recorded even when the caller has gone away.
	var rec recordedResponse
	writeProblem(&rec, r.WithContext(ctx), a.s.logger, err)
	hdr := map[string]string{}
	for _, k := range replayedHeaders {
		if v := rec.Header().Get(k); v != "" {
			hdr[k] = v
		}
	}
	a.complete(ctx, idempotency.Record{BodyHash: a.hash, Status: rec.status, Header: hdr, Body: rec.body.Bytes()})
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
	return nil
}

// complete stores rec as the key's outcome, retrying a transient failure
// before the response goes out. A record still not stored is logged: the
// response is sent all the same, since the action happened or may have.
func (a *idemAttempt) complete(ctx context.Context, rec idempotency.Record) {
	if a.owner == "" {
		return
	}
	if err := idempotency.CompleteRetrying(ctx, a.s.idempotency, a.key, a.owner, rec, idempotency.Keep); err != nil {
		a.s.logger.LogAttrs(ctx, slog.LevelError, "idempotency record not stored",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
	}
}

// release frees the key for a request the upstream provably never
// received. A claim that cannot be released answers as uncertain once its
// lease runs out: safe, if unhelpful.
func (a *idemAttempt) release(ctx context.Context) {
	if a.owner == "" {
		return
	}
	if err := idempotency.ReleaseRetrying(ctx, a.s.idempotency, a.key, a.owner); err != nil {
		a.s.logger.LogAttrs(ctx, slog.LevelWarn, "idempotency claim not released",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
	}
}

// recordedResponse is an http.ResponseWriter that keeps what is written,
// to be recorded before it is sent.
type recordedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rr *recordedResponse) Header() http.Header {
	if rr.header == nil {
		rr.header = http.Header{}
	}
	return rr.header
}

func (rr *recordedResponse) WriteHeader(status int) {
	if rr.status == 0 {
		rr.status = status
	}
}

func (rr *recordedResponse) Write(p []byte) (int, error) {
	if rr.status == 0 {
		rr.status = http.StatusOK
	}
	return rr.body.Write(p)
}
