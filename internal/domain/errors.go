package domain

import (
	"errors"
	"fmt"
	"time"
)

// Code is a problem slug: the last segment of the problem "type" URI
// (/problems/<slug>) that callers match on. The HTTP layer owns the only
// Code → status table.
type Code string

// The problem slugs of the product contract (SPEC §4).
const (
	CodeValidation            Code = "validation"
	CodeUnauthorized          Code = "unauthorized"
	CodeForbidden             Code = "forbidden"
	CodeUpstreamNotConfigured Code = "upstream-not-configured"
	CodeNotFound              Code = "not-found"
	CodeMethodNotAllowed      Code = "method-not-allowed"
	CodeUnsupportedMediaType  Code = "unsupported-media-type"
	CodePayloadTooLarge       Code = "payload-too-large"
	CodeInvalidCursor         Code = "invalid-cursor"
	CodeRateLimited           Code = "rate-limited"
	CodeUpstreamBudget        Code = "upstream-budget-exhausted"
	CodeUpstreamRateLimited   Code = "upstream-rate-limited"
	CodeUpstreamAuthFailed    Code = "upstream-auth-failed"
	CodeUpstreamTimeout       Code = "upstream-timeout"
	CodeUpstreamUnavailable   Code = "upstream-unavailable"
	CodeUpstreamError         Code = "upstream-error"
	CodeIdempotencyKeyReused  Code = "idempotency-key-reused"
	CodeIdempotencyKeyInUse   Code = "idempotency-key-in-use"
	CodeMirrorNotConfigured   Code = "mirror-not-configured"
	CodeInternal              Code = "internal"
)

// ErrNotSent marks an upstream failure that proves the request never
// reached the upstream (a refused connection, a name that did not resolve,
// a failed dial, no token to send it with): wrap or join it into such an
// error. It is what lets a
// POST be tried again, or its idempotency key be released, without risk of
// acting twice (see idempotency.Releases, the one rule built on it).
var ErrNotSent = errors.New("the request never reached the upstream")

// FieldError names one invalid input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type that crosses package boundaries. Message is
// safe to show a caller; Err is the cause, for the log only (it may hold
// upstream URLs or bodies, never secrets).
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// RetryAfter, when positive, becomes the Retry-After header.
	RetryAfter time.Duration
	// NotRetriable marks a failure after which the caller must not blindly
	// retry: the upstream may have acted (a POST that timed out after it was
	// sent). It renders as "retriable": false in the problem.
	NotRetriable bool
	// Unprocessable marks a validation error for input that was well formed
	// but refused for what it says (an upstream's 422: an install that is not
	// the tenant's). Nothing was done; the HTTP layer answers 422 instead of
	// the code's usual status.
	Unprocessable bool
	Err           error
}

// Error implements error. It includes the cause so that log lines carry it.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a caller-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a caller-safe message and a log-only cause.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ValidationError returns a validation error listing every bad field.
func ValidationError(fields ...FieldError) *Error {
	msg := "the request is invalid"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: CodeValidation, Message: msg, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none: anything unexpected is internal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the first *Error in err's chain, or an internal *Error
// wrapping err whose message reveals nothing.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "an internal error occurred", Err: err}
}
