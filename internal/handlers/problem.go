package handlers

import (
	"context"
	"encoding/json"
	"errors"
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

// problemKind is one row of the slug table.
type problemKind struct {
	status int
	title  string
}

// problemKinds is the only code → status table. A code missing here is
// answered as internal.
var problemKinds = map[domain.Code]problemKind{
	domain.CodeValidation:            {http.StatusBadRequest, "Request is invalid"},
	domain.CodeUnauthorized:          {http.StatusUnauthorized, "Authentication required"},
	domain.CodeForbidden:             {http.StatusForbidden, "Forbidden"},
	domain.CodeUpstreamNotConfigured: {http.StatusForbidden, "Upstream not configured for this tenant"},
	domain.CodeNotFound:              {http.StatusNotFound, "Not found"},
	domain.CodeMethodNotAllowed:      {http.StatusMethodNotAllowed, "Method not allowed"},
	domain.CodeUnsupportedMediaType:  {http.StatusUnsupportedMediaType, "Unsupported media type"},
	domain.CodePayloadTooLarge:       {http.StatusRequestEntityTooLarge, "Payload too large"},
	domain.CodeInvalidCursor:         {http.StatusBadRequest, "Invalid cursor"},
	domain.CodeRateLimited:           {http.StatusTooManyRequests, "Rate limit exceeded"},
	domain.CodeUpstreamBudget:        {http.StatusServiceUnavailable, "Upstream request budget exhausted"},
	domain.CodeUpstreamRateLimited:   {http.StatusServiceUnavailable, "Upstream rate limited"},
	domain.CodeUpstreamAuthFailed:    {http.StatusBadGateway, "Upstream rejected the credentials"},
	domain.CodeUpstreamTimeout:       {http.StatusGatewayTimeout, "Upstream timed out"},
	domain.CodeUpstreamUnavailable:   {http.StatusServiceUnavailable, "Upstream unavailable"},
	domain.CodeUpstreamError:         {http.StatusBadGateway, "Upstream error"},
	domain.CodeIdempotencyKeyReused:  {http.StatusUnprocessableEntity, "Idempotency key reused with another request"},
	domain.CodeIdempotencyKeyInUse:   {http.StatusConflict, "Idempotency key in use"},
	domain.CodeMirrorNotConfigured:   {http.StatusForbidden, "No call-history mirror for this tenant"},
	domain.CodeInternal:              {http.StatusInternalServerError, "Internal error"},
}

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
	p := Problem{
		Type:      "/problems/" + string(e.Code),
		Title:     kind.title,
		Status:    kind.status,
		Detail:    e.Message,
		RequestID: RequestID(r.Context()),
		Errors:    e.Fields,
	}
	if p.Detail == "" {
		p.Detail = kind.title
	}
	if e.NotRetriable {
		p.Retriable = new(bool)
	}
	h := w.Header()
	if kind.status == http.StatusTooManyRequests || kind.status == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	if kind.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="switchboard"`)
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

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		d = defaultRetryAfter
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(secs, 10)
}
