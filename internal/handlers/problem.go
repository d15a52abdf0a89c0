package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"switchboard/internal/domain"
)

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	Type      string              `json:"type" example:"/problems/validation"`
	Title     string              `json:"title" example:"Request is invalid"`
	Status    int                 `json:"status" example:"400"`
	Detail    string              `json:"detail" example:"limit: must be between 1 and 1000"`
	RequestID string              `json:"request_id" example:"3f2a9c0e8b7d4e61a5c2f0d9b8e7a6c5"`
	Errors    []domain.FieldError `json:"errors,omitempty"`
	// Retriable is present, and false, when the upstream may have acted on a
	// request that failed (a POST that timed out after it was sent).
	Retriable *bool `json:"retriable,omitempty"`
} // @name Problem

// defaultRetryAfter is sent on a 429 or 503 whose cause named no delay:
// SPEC §4 promises Retry-After on every one of them.
const defaultRetryAfter = 5 * time.Second

// StatusOf returns the HTTP status for a code.
func StatusOf(code domain.Code) int {
	if k, ok := problemKinds[code]; ok {
		return k.status
	}
	return http.StatusInternalServerError
}

// writeProblem answers err as problem+json. Unknown errors become internal
// with a generic detail; their cause goes to the log only. A caller that went
// away is logged, not answered.
func writeProblem(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		logger.LogAttrs(r.Context(), slog.LevelInfo, "client went away",
			slog.String("request_id", RequestID(r.Context())))
		return
	}
	e := domain.AsError(err)
	kind, ok := problemKinds[e.Code]
	if !ok {
		e = &domain.Error{Code: domain.CodeInternal, Message: "an internal error occurred", Err: err}
		kind = problemKinds[domain.CodeInternal]
	}
	if e.Code == domain.CodeValidation && e.Unprocessable {
		// Well-formed input the upstream refused (SPEC §4): 422, not 400.
		kind.status = http.StatusUnprocessableEntity
	}
	if kind.status >= 500 {
		// Upstream failures are expected weather (WARN); ERROR is kept for
		// what is wrong with the gateway itself.
		level := slog.LevelWarn
		if kind.status == http.StatusInternalServerError {
			level = slog.LevelError
		}
		logger.LogAttrs(r.Context(), level, "request failed",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("code", string(e.Code)),
			slog.String("error", e.Error()))
	}
	p := problemOf(e, kind, RequestID(r.Context()))
	h := w.Header()
	if kind.status == http.StatusTooManyRequests || kind.status == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	if kind.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", bearerChallenge(r, e.Message))
	}
	// A problem must never be cached or revalidated as the resource.
	h.Del("ETag")
	h.Del("Content-Length")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(kind.status)
	_ = json.NewEncoder(w).Encode(p)
}

// problemOf is the problem document of e, whose row in the slug table is
// kind.
func problemOf(e *domain.Error, kind problemKind, requestID string) Problem {
	p := Problem{
		Type:      "/problems/" + string(e.Code),
		Title:     kind.title,
		Status:    kind.status,
		Detail:    e.Message,
		RequestID: requestID,
		Errors:    e.Fields,
	}
	if p.Detail == "" {
		p.Detail = kind.title
	}
	if e.NotRetriable {
		p.Retriable = new(bool)
	}
	return p
}

// ExampleProblem is the problem document the gateway sends for e, with a
// fixed request id: the OpenAPI document's error examples are built with
// it (internal/tools/openapifix), so they cannot drift from the slug
// table. An e whose code is not in the table is an error.
func ExampleProblem(e *domain.Error) (Problem, error) {
	kind, ok := problemKinds[e.Code]
	if !ok {
		return Problem{}, fmt.Errorf("handlers: no problem kind for %q", e.Code)
	}
	if e.Code == domain.CodeValidation && e.Unprocessable {
		kind.status = http.StatusUnprocessableEntity
	}
	return problemOf(e, kind, "3f2a9c0e8b7d4e61a5c2f0d9b8e7a6c5"), nil
}

// CSVHeader returns the header row of a CSV export, for its documentation.
func CSVHeader() []string { return append([]string(nil), csvHeader...) }

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		d = defaultRetryAfter
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(secs, 10)
}
