package handlers

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/cache"
)

// cachedRoutes are the routes answered from the response cache (X-Cache),
// whose cache-result series are created at start-up.
var cachedRoutes = map[string]bool{
	"/v1/tags": true, "/v1/departments": true, "/v1/automations": true, "/v1/installs": true,
	"/v1/companies": true, "/v1/campaigns": true, "/v1/calls": true,
}

// cacheResults are the label values of the cache-result counter, the X-Cache
// values in lower case.
var cacheResults = []cache.Status{cache.StatusHit, cache.StatusMiss, cache.StatusStale, cache.StatusBypass}

// primeSeries creates, at zero, the series a dashboard's increase() must see
// before their first event: every /v1 route's successful answers per tenant,
// and every cached route's cache results. Without a zero sample the first
// event of a series is invisible to increase() and rate(). Statuses other
// than 200 are left to appear with their first request: routes × statuses ×
// tenants would be mostly series that never move.
func (s *Server) primeSeries(tenants map[string]*Tenant) {
	_ = chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !strings.HasPrefix(route, "/v1/") || (method != http.MethodGet && method != http.MethodPost) {
			return nil
		}
		for id := range tenants {
			s.metrics.HTTPRequests.WithLabelValues(method, route, "200", id)
		}
		if method == http.MethodGet && cachedRoutes[route] {
			for _, res := range cacheResults {
				s.metrics.CacheResults.WithLabelValues(route, strings.ToLower(string(res)))
			}
		}
		return nil
	})
}
