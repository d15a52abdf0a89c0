package config

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one invalid setting. Field names it the way an operator
// writes it: an environment variable (SWITCHBOARD_LOG_LEVEL) or a path into
// the tenants file (tenants[1].phonewagon.client_secret).
//
// Message never quotes the offending value: values may be secrets or come
// from environment variables, and start-up errors end up in logs.
type FieldError struct {
	Field   string
	Message string
	// Line is the tenants file line the problem was found on, 0 when unknown
	// or when Field is an environment variable.
	Line int
	// Err is the underlying cause, if any, for errors.Is/As. Its text is not
	// part of Error(): a cause such as *url.Error or *fs.PathError would
	// repeat the value (a URL with a password, a path from the environment).
	Err error
}

// Error implements error as "field: message (line N)".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Errors is every problem found in one pass, in the order found, so that an
// operator fixes the configuration in one round rather than one error per
// restart. Load and ParseTenants return it wrapped; use errors.As to get the
// list.
type Errors []*FieldError

// Error implements error, joining the problems with "; " to keep the
// start-up failure on one log line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// add records a problem; it keeps call sites to one line.
func (es *Errors) add(field string, line int, format string, args ...any) {
	*es = append(*es, &FieldError{Field: field, Line: line, Message: fmt.Sprintf(format, args...)})
}

// has reports whether a problem with field was recorded.
func (es Errors) has(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

// err returns es as an error, or nil when there were no problems, so that a
// nil Errors never becomes a non-nil error interface.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
