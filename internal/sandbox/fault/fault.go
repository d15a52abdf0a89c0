// Package fault is the failure switch the sandbox upstreams share: a test
// injects a Fault, and the next matching requests are answered with that
// upstream failure instead of the simulated API.
package fault

import (
	"strings"
	"time"
)

// Kind says how a faulted request is answered.
type Kind int

// The fault kinds. KindStatus is the zero value, so Fault{Status: 503} reads
// as what it does.
const (
	// KindStatus answers Status (default 500) with a small JSON error body
	// and, when RetryAfter is positive, a Retry-After header.
	KindStatus Kind = iota
	// KindHang never answers: the handler reads the request body, then
	// blocks until the request's context is done (the client gave up or the
	// connection closed) or the fault is cleared or replaced, and then drops
	// the connection. httptest.Server.Close waits for hung handlers, so a
	// test that hangs requests gives its client a timeout or clears the
	// fault before closing the server.
	KindHang
	// KindReset hijacks the connection and closes it (with an RST where the
	// connection is TCP) without writing a byte of a response. net/http's
	// Transport retries an idempotent request once when a reused keep-alive
	// connection dies before any response byte, so with Times: 1 a GET may
	// seem to succeed: use Times ≥ 2 or a client without keep-alives to see
	// the failure.
	KindReset
	// KindMalformedJSON answers 200 with a JSON content type and a body that
	// is not valid JSON.
	KindMalformedJSON
	// KindTruncated answers 200 with a Content-Length larger than the bytes
	// written, then closes the connection, so the client reads an unexpected
	// EOF in the body.
	KindTruncated
	// KindUnexpectedShape answers 200 with valid JSON of the wrong shape,
	// {"unexpected":true} unless Body says otherwise.
	KindUnexpectedShape
)

// String names the kind for test output.
func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindHang:
		return "hang"
	case KindReset:
		return "reset"
	case KindMalformedJSON:
		return "malformed-json"
	case KindTruncated:
		return "truncated"
	case KindUnexpectedShape:
		return "unexpected-shape"
	default:
		return "unknown"
	}
}

// Fault describes one injected upstream failure. The zero value answers
// every request with a 500.
type Fault struct {
	// Kind selects the failure; an unknown kind behaves as KindStatus.
	Kind Kind
	// Status is the status code of KindStatus (default 500; values outside
	// 100–599 also mean 500).
	Status int
	// RetryAfter, when positive, adds Retry-After in whole seconds (rounded
	// up) to a KindStatus answer.
	RetryAfter time.Duration
	// Body, when set, replaces the default body of KindStatus,
	// KindMalformedJSON, KindTruncated and KindUnexpectedShape.
	Body string
	// Times limits the fault to the next Times matching requests; zero or
	// less means every matching request until Clear.
	Times int
	// PathPrefix limits the fault to requests whose URL path starts with it;
	// empty matches every path. A simulator serving under a base path also
	// matches it against the path below that base (see Switch.Serve).
	PathPrefix string
}

// matches reports whether the fault applies to a request for one of paths.
func (f Fault) matches(paths []string) bool {
	if f.PathPrefix == "" {
		return true
	}
	for _, p := range paths {
		if strings.HasPrefix(p, f.PathPrefix) {
			return true
		}
	}
	return false
}

// status is the status code a KindStatus fault answers with.
func (f Fault) status() int {
	if f.Status < 100 || f.Status > 599 {
		return 500
	}
	return f.Status
}
