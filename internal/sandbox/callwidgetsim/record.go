package callwidgetsim

import (
	"encoding/json"
	"net/http"
	"time"
)

// Request is one request the simulator received, as tests see it. It never
// holds a password or token.
type Request struct {
	Method   string
	Path     string // the full path, BasePath included
	RawQuery string
	// Email is the user the request authenticated as, by bearer token,
	// credentials or refresh token; empty when it did not (or was faulted).
	Email string
	// Time is when the request arrived, by the injected clock.
	Time time.Time
}

// Action is one action request (POST /share/new-...) that authenticated and
// carried a JSON object, whatever the answer.
type Action struct {
	Path  string // the full path, e.g. /api/v1/share/new-sms
	Email string
	// Body is the request body exactly as received.
	Body json.RawMessage
	// Fields is Body decoded; each call to Actions decodes a fresh copy.
	Fields map[string]any
	// Status is the status the simulator answered with.
	Status int
	Time   time.Time
}

// record appends r to the request log and returns its index.
func (s *Server) record(r *http.Request) int {
	req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Time: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	return len(s.requests) - 1
}

// setRequestEmail notes who request idx authenticated as.
func (s *Server) setRequestEmail(idx int, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx >= 0 && idx < len(s.requests) {
		s.requests[idx].Email = email
	}
}

// recordAction appends a to the action log.
func (s *Server) recordAction(a Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = append(s.actions, a)
}

// count increments one of the server's counters.
func (s *Server) count(n *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*n++
}

// Requests returns a copy of every request received so far, in arrival
// order, faulted and rejected ones included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestCount returns how many requests have been received so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Actions returns a copy of every recorded action, in arrival order.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	out := append([]Action(nil), s.actions...)
	s.mu.Unlock()
	for i := range out {
		out[i].Body = append(json.RawMessage(nil), out[i].Body...)
		out[i].Fields = nil
		_ = json.Unmarshal(out[i].Body, &out[i].Fields) // recorded bodies are JSON objects
	}
	return out
}

// Logins returns how many login attempts reached POST /api-login,
// successful or not (faulted requests excluded).
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Refreshes returns how many refresh attempts reached POST /refresh-token,
// successful or not (faulted requests excluded).
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}
