package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// Idempotency settings (SPEC §5).
const (
	maxIdempotencyKeyLen = 255
	idempotencyKeep      = 24 * time.Hour
	// defaultInflightTTL bounds a claim whose holder died: longer than any
	// upstream call may take, so a live request never loses its claim.
	defaultInflightTTL = 2 * time.Minute
)

// idemAttempt is one POST's progress through the idempotency store. The
// zero value (no Idempotency-Key) does nothing.
type idemAttempt struct {
	s       *Server
	key     string
	hash    string
	claimed bool
	done    bool // the response was already written (a replay)
}

// beginIdempotent checks the Idempotency-Key of a POST. It writes the
// replay itself (done is then true), or returns 409/422, or a claim that the
// handler ends with succeed or fail.
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
	// The key is the tenant's: two tenants never share records.
	a.key = tenant + "\x00" + vals[0]
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(body)
	a.hash = hex.EncodeToString(h.Sum(nil))

	res, err := s.idempotency.Begin(r.Context(), a.key, a.hash, s.inflightTTL)
	if err != nil {
		// Without the store a retry could send twice; refusing is the only
		// answer that loses nothing.
		return nil, domain.Wrap(err, domain.CodeInternal, "idempotency keys cannot be checked right now; retry later")
	}
	switch res.Outcome {
	case cache.BeginReplay:
		for k, v := range res.Record.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(res.Record.Status)
		_, _ = w.Write(res.Record.Body)
		a.done = true
		return a, nil
	case cache.BeginInFlight:
		return nil, domain.Errorf(domain.CodeIdempotencyKeyInUse,
			"a request with this Idempotency-Key is still in flight; retry when it has finished")
	case cache.BeginMismatch:
		return nil, domain.Errorf(domain.CodeIdempotencyKeyReused,
			"this Idempotency-Key was used with another request body")
	}
	a.claimed = true
	return a, nil
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
	a.complete(ctx, cache.Record{BodyHash: a.hash, Status: status, Header: map[string]string{"Content-Type": ct}, Body: body})
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// fail answers an upstream failure. One after which the action may have
// happened (a timeout after sending: retriable false) is recorded like a
// success, so that a retry with the same key replays the 504 instead of
// sending the text again; any other failure releases the key for a retry.
func (a *idemAttempt) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) error {
	if !a.claimed {
		return err
	}
	if !domain.AsError(err).NotRetriable {
		a.release(ctx)
		return err
	}
	capture := &captureWriter{ResponseWriter: w}
	writeProblem(capture, r, a.s.logger, err)
	hdr := map[string]string{}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := w.Header().Get(k); v != "" {
			hdr[k] = v
		}
	}
	a.complete(ctx, cache.Record{BodyHash: a.hash, Status: capture.status, Header: hdr, Body: capture.buf.Bytes()})
	return nil
}

func (a *idemAttempt) complete(ctx context.Context, rec cache.Record) {
	if !a.claimed {
		return
	}
	if err := a.s.idempotency.Complete(ctx, a.key, rec, idempotencyKeep); err != nil {
		a.s.logger.LogAttrs(ctx, slog.LevelError, "idempotency record not stored", slog.String("error", err.Error()))
	}
}

func (a *idemAttempt) release(ctx context.Context) {
	if !a.claimed {
		return
	}
	if err := a.s.idempotency.Release(ctx, a.key); err != nil {
		a.s.logger.LogAttrs(ctx, slog.LevelWarn, "idempotency claim not released", slog.String("error", err.Error()))
	}
}

// captureWriter writes through and keeps a copy of the status and body.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	c.buf.Write(p)
	return c.ResponseWriter.Write(p)
}
