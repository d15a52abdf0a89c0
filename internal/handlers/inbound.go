package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/domain"
)

// inboundWindow is the inbound limit's window (SPEC §5: per minute).
const inboundWindow = time.Minute

// newInboundLimiters builds one httprate limiter per tenant, all counting in
// counter (shared across replicas when it is the Redis one; nil keeps the
// count in this process).
func (s *Server) newInboundLimiters(counter httprate.LimitCounter) map[string]*httprate.RateLimiter {
	out := make(map[string]*httprate.RateLimiter, len(s.tenants))
	for id, t := range s.tenants {
		limit := t.RateLimitPerMinute
		if limit <= 0 {
			limit = domain.DefaultRateLimitPerMinute
		}
		opts := []httprate.Option{
			httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
				writeProblem(w, r, s.logger, &domain.Error{Code: domain.CodeRateLimited,
					Message: "this tenant's request limit is reached; retry after the Retry-After delay", RetryAfter: inboundWindow})
			}),
			httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
				writeProblem(w, r, s.logger, err)
			}),
		}
		opts = append(opts, httprate.WithResponseHeaders(httprate.ResponseHeaders{
			Limit: "X-Ratelimit-Limit", Remaining: "X-Ratelimit-Remaining", Reset: "X-Ratelimit-Reset",
			RetryAfter: "Retry-After", Increment: "X-Ratelimit-Increment"}))
		if counter != nil {
			opts = append(opts, httprate.WithLimitCounter(counter))
		}
		out[id] = httprate.NewRateLimiter(limit, inboundWindow, opts...)
	}
	return out
}

// limitInbound applies the caller's tenant's inbound limit, answering 429
// rate-limited with Retry-After and the X-RateLimit-* headers. It runs after
// authenticate: the limit is per tenant, and unauthenticated requests are
// refused before they can count against one.
func (s *Server) limitInbound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := tenantFrom(r.Context())
		if err != nil {
			writeProblem(w, r, s.logger, err)
			return
		}
		rl, ok := s.limiters[t.ID]
		if !ok {
			writeProblem(w, r, s.logger, errors.New("no inbound limiter for tenant"))
			return
		}
		if rl.RespondOnLimit(w, r, t.ID) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
