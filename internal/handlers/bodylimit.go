package handlers

import (
	"net/http"

	"switchboard/internal/domain"
)

// limitBody caps every request body: a declared length over the cap is
// refused at once, and reading past the cap fails with *http.MaxBytesError,
// which the JSON decoder turns into 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > domain.MaxBodyBytes {
			writeProblem(w, r, s.logger, domain.Errorf(domain.CodePayloadTooLarge,
				"the request body exceeds %d bytes", domain.MaxBodyBytes))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, domain.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}
