// Package simhttp holds the few HTTP helpers both sandbox simulators share:
// writing a JSON answer and simulating latency.
package simhttp

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// WriteJSON writes v as a JSON response with an exact Content-Length. When v
// cannot be encoded it answers 500 with fallback, the simulated API's own
// error body.
func WriteJSON(w http.ResponseWriter, status int, v any, fallback []byte) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, fallback
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Wait delays the response by d and reports whether the request is still
// wanted; when its context ends first, nothing should be written.
func Wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
