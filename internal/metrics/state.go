package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BudgetSample is one Phonewagon account's budget as a scrape sees it.
type BudgetSample struct {
	// Account is the stable name of the account: its client id, never a URL.
	Account string
	// Limit is budget_per_minute; Remaining the slots left in the window.
	Limit, Remaining int
}

// BreakerSample is one upstream account's circuit breaker.
type BreakerSample struct {
	// Name is "<upstream>:<account>", e.g. "phonewagon:acme-client".
	Name string
	// State is 0 closed, 1 open, 2 half-open (breaker.State).
	State int
}

// State is what the gateway currently holds: one sample per account and
// breaker of the configuration in force. Labels must be unique within it.
type State struct {
	Budgets  []BudgetSample
	Breakers []BreakerSample
}

// StateFunc reads the current State. It is called on every scrape, with a
// context that bounds any store round trip it makes.
type StateFunc func(ctx context.Context) State

// stateTimeout bounds one scrape's reading of the state: a scrape must not
// hang on a Redis that does not answer.
const stateTimeout = 2 * time.Second

// stateCollector reports the budget and breaker gauges computed at scrape
// time, so that they are current whenever Prometheus looks and exist from
// start-up, before any request.
type stateCollector struct {
	read      atomic.Pointer[StateFunc]
	remaining *prometheus.Desc
	limit     *prometheus.Desc
	breaker   *prometheus.Desc
}

func newStateCollector() *stateCollector {
	return &stateCollector{
		remaining: prometheus.NewDesc("switchboard_phonewagon_budget_remaining",
			"Phonewagon requests left in the current 60 s window, by account (client id), read when scraped.",
			[]string{"account"}, nil),
		limit: prometheus.NewDesc("switchboard_phonewagon_budget_limit",
			"Phonewagon requests allowed per 60 s window (budget_per_minute), by account (client id).",
			[]string{"account"}, nil),
		breaker: prometheus.NewDesc("switchboard_upstream_breaker_state",
			"Circuit breaker per upstream account (upstream:client id or login): 0 closed, 1 open, 2 half-open.",
			[]string{"breaker"}, nil),
	}
}

// SetState installs the function the budget and breaker gauges are read
// from; until then they have no series. A reload installs nothing new: the
// function reads whatever configuration is in force.
func (m *Metrics) SetState(f StateFunc) { m.state.read.Store(&f) }

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.remaining
	ch <- c.limit
	ch <- c.breaker
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.read.Load()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	st := (*f)(ctx)
	for _, b := range st.Budgets {
		ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(b.Remaining), b.Account)
		ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(b.Limit), b.Account)
	}
	for _, b := range st.Breakers {
		ch <- prometheus.MustNewConstMetric(c.breaker, prometheus.GaugeValue, float64(b.State), b.Name)
	}
}
