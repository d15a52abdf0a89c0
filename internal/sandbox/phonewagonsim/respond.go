package phonewagonsim

import (
	"net/http"
	"switchboard/internal/sandbox/simhttp"
)

// apiError is the body of every error answer. The docs do not show one, so
// the simulator uses a small, stable shape.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeError writes an apiError.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Error: code, Message: message})
}

// writeJSON writes v as the API's JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	simhttp.WriteJSON(w, status, v, []byte(`{"error":"internal","message":"could not encode the response"}`))
}
