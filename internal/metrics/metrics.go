// Package metrics holds the gateway's Prometheus collectors on a registry of
// its own, so that several gateways can live in one process (tests) without
// colliding on the global registry.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors. Label values are bounded: routes are
// chi patterns, tenants come from the tenants file, never from the caller.
type Metrics struct {
	registry *prometheus.Registry

	// HTTPRequests counts answered requests by method, route, status and
	// tenant. A refused request carries the route it was aimed at.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration is the latency of answered requests by method and route.
	HTTPDuration *prometheus.HistogramVec
	// UpstreamRequests counts upstream calls by upstream, endpoint and status
	// ("error" for transport failures).
	UpstreamRequests *prometheus.CounterVec
	// UpstreamDuration is the latency of upstream calls.
	UpstreamDuration *prometheus.HistogramVec
	// CacheResults counts response-cache outcomes by route and result (hit,
	// miss, stale, bypass: the X-Cache value in lower case).
	CacheResults *prometheus.CounterVec
	// BudgetWaits counts requests that had to wait for a budget slot, by outcome.
	BudgetWaits *prometheus.CounterVec
	// Reloads counts SIGHUP reloads of the tenants file by outcome
	// (applied, rejected).
	Reloads *prometheus.CounterVec
	// TokenLogins and TokenRefreshes count CallWidget token acquisitions.
	TokenLogins    *prometheus.CounterVec
	TokenRefreshes *prometheus.CounterVec
	// MirrorSyncRequests counts the call-history mirror's sync requests by
	// account (client id), kind (backfill, follow, revisit) and outcome (ok,
	// refused by the budget's background lane, error).
	MirrorSyncRequests *prometheus.CounterVec
	// MirrorLeaseChanges counts this replica taking (acquired) and losing or
	// giving up (released) an account's mirror lease.
	MirrorLeaseChanges *prometheus.CounterVec

	// Events are the event and webhook collectors (events.go).
	Events EventMetrics

	mirrors *mirrorCollector // the mirror gauges read at scrape (mirror.go)

	// state computes the budget and breaker gauges when scraped.
	state *stateCollector
}

// Reload outcomes, the values of Reloads' outcome label.
const (
	ReloadApplied  = "applied"
	ReloadRejected = "rejected"
)

// New registers every collector, plus the Go and process collectors, on a
// fresh registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		state:    newStateCollector(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern (the one a refused request was aimed at; \"unmatched\" for unknown paths), status code and tenant.",
		}, []string{"method", "route", "status", "tenant"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15},
		}, []string{"method", "route"}),
		UpstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_upstream_requests_total",
			Help: "Requests sent upstream, by upstream, endpoint and status (\"error\" when no response arrived).",
		}, []string{"upstream", "endpoint", "status"}),
		UpstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_upstream_request_duration_seconds",
			Help:    "Time of upstream requests, by upstream and endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}, []string{"upstream", "endpoint"}),
		CacheResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_cache_results_total",
			Help: "Response cache outcomes by route pattern and result: hit, miss, stale, bypass.",
		}, []string{"route", "result"}),
		BudgetWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_phonewagon_budget_waits_total",
			Help: "Requests that waited for a Phonewagon budget slot, by outcome (admitted, exhausted).",
		}, []string{"outcome"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_config_reloads_total",
			Help: "Reloads of the tenants file on SIGHUP, by outcome: applied, rejected (the old configuration stays).",
		}, []string{"outcome"}),
		TokenLogins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_callwidget_logins_total",
			Help: "CallWidget logins (email and password), by tenant.",
		}, []string{"tenant"}),
		TokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_callwidget_token_refreshes_total",
			Help: "CallWidget token refreshes, by tenant.",
		}, []string{"tenant"}),
		MirrorSyncRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_mirror_sync_requests_total",
			Help: "Upstream requests of the call-history mirror's sync, by Phonewagon account (client id), kind (backfill, follow, revisit) and outcome (ok, refused, error).",
		}, []string{"account", "kind", "outcome"}),
		MirrorLeaseChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_mirror_lease_changes_total",
			Help: "Times this replica took (acquired) or lost or gave up (released) a mirror lease, by Phonewagon account (client id).",
		}, []string{"account", "change"}),
		mirrors: newMirrorCollector(time.Now),
		Events:  newEventMetrics(),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.UpstreamRequests, m.UpstreamDuration,
		m.CacheResults, m.BudgetWaits, m.Reloads, m.TokenLogins, m.TokenRefreshes, m.state,
		m.MirrorSyncRequests, m.MirrorLeaseChanges, m.mirrors,
	)
	m.registry.MustRegister(m.Events.collectors()...)
	for _, o := range []string{ReloadApplied, ReloadRejected} {
		m.Reloads.WithLabelValues(o)
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }
