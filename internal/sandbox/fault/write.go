package fault

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Default bodies. The malformed one mimics the kind of typo the Phonewagon
// docs show (a missing comma, a trailing comma) so a decoder fails midway.
const (
	malformedBody  = `{"calls": [{"id": 6315 "status": "completed",}], "next": `
	unexpectedBody = `{"unexpected":true}`
	truncatedBody  = `{"data": [{"id": 1, "name": "truncated response"}, {"id": 2, "name": "truncated response"}]}`
)

// maxDrain bounds how much of a hung request's body is read.
const maxDrain = 16 << 20

// write answers r with f. release, when closed, ends a hang.
func write(w http.ResponseWriter, r *http.Request, f Fault, release <-chan struct{}) {
	switch f.Kind {
	case KindHang:
		// net/http notices a client hanging up only once the request body
		// has been read, so drain it first or a hung POST never ends.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
		select {
		case <-r.Context().Done():
		case <-release:
		}
		reset(w, r)
	case KindReset:
		reset(w, r)
	case KindMalformedJSON:
		writeBody(w, http.StatusOK, orDefault(f.Body, malformedBody))
	case KindTruncated:
		truncate(w, orDefault(f.Body, truncatedBody))
	case KindUnexpectedShape:
		writeBody(w, http.StatusOK, orDefault(f.Body, unexpectedBody))
	default:
		status := f.status()
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(ceilSeconds(f.RetryAfter), 10))
		}
		body := f.Body
		if body == "" {
			body = `{"error":"injected fault","status":` + strconv.Itoa(status) + `}`
		}
		writeBody(w, status, body)
	}
}

// writeBody writes a JSON response with an exact Content-Length.
func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// truncate declares the whole body but writes only its first half, then
// drops the connection. Where the connection cannot be hijacked (HTTP/2),
// returning with a short write still makes net/http abort the response.
func truncate(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body[:len(body)/2]))
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}

// reset closes the connection without a response. When the connection
// cannot be hijacked it falls back to a truncated body, which a client also
// sees as a broken connection.
func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		if r.Context().Err() == nil {
			truncate(w, truncatedBody)
		}
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Linger 0 turns the close into an RST: "connection reset by peer".
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// ceilSeconds rounds d up to whole seconds, at least 1.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		return 1
	}
	return s
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
