package phonewagonsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// apiError is the body of every error answer. The docs do not show one, so
// the simulator uses a small, stable shape.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeJSON writes v as a JSON response with an exact Content-Length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal","message":"could not encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes an apiError.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Error: code, Message: message})
}

// wait delays the response by d and reports whether the request is still
// wanted; when its context ends first, nothing should be written.
func wait(r *http.Request, d time.Duration) bool {
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
