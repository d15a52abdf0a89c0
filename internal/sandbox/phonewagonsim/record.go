package phonewagonsim

import (
	"net/http"
	"time"
)

// Request is one request the simulator received, as tests see it. It never
// holds the client secret.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// ClientID is the basic-auth username sent, known to the simulator or
	// not; empty without basic auth.
	ClientID string
	// Time is when the request arrived, by the injected clock.
	Time time.Time
}

// record appends r to the request log.
func (s *Server) record(r *http.Request, clientID string) {
	req := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		ClientID: clientID,
		Time:     s.now(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

// Requests returns a copy of every request received so far, in arrival
// order, faulted, rejected and rate-limited ones included.
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
