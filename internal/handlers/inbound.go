package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/httprate"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
)

// inboundWindow is the inbound limit's window (SPEC §5: per minute).
const inboundWindow = time.Minute

// newInboundLimiter builds one tenant's httprate limiter, counting in
// s.counter (shared across replicas when it is the Redis one; nil keeps the
// count in this process). Limiters of different tenants share the counter
// and stay apart by their key, the tenant id.
func (s *Server) newInboundLimiter(limit int) *httprate.RateLimiter {
	opts := []httprate.Option{
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, s.logger, &domain.Error{Code: domain.CodeRateLimited,
				Message: "this tenant's request limit is reached; retry after the Retry-After delay", RetryAfter: inboundWindow})
		}),
		httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, s.logger, err)
		}),
		httprate.WithResponseHeaders(httprate.ResponseHeaders{
			Limit: "X-Ratelimit-Limit", Remaining: "X-Ratelimit-Remaining", Reset: "X-Ratelimit-Reset",
			RetryAfter: "Retry-After", Increment: "X-Ratelimit-Increment"}),
	}
	if s.counter != nil {
		// The limiter's own view of the shared counter, which needs the
		// limit to answer a tenant it must not admit more for.
		opts = append(opts, httprate.WithLimitCounter(ratelimit.PerLimiter(s.counter)))
	}
	return httprate.NewRateLimiter(limit, inboundWindow, opts...)
}

// limitInbound applies the caller's tenant's inbound limit, answering 429
// rate-limited with Retry-After and the X-RateLimit-* headers. It runs after
// authenticate: the limit is per tenant, and unauthenticated requests are
// refused before they can count against one.
func (s *Server) limitInbound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := r.Context().Value(tenantKey{}).(*tenantEntry)
		if !ok || e.tenant == nil || e.limiter == nil {
			writeProblem(w, r, s.logger, errors.New("no inbound limiter for tenant"))
			return
		}
		if e.limiter.RespondOnLimit(w, r, e.tenant.ID) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
