package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"switchboard/internal/breaker"
	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
	"switchboard/internal/ratelimit"
	"switchboard/internal/telemetry"
	"switchboard/internal/upstream/callwidget"
	"switchboard/internal/upstream/phonewagon"
	"switchboard/internal/upstream/upstreamhttp"
)

// buildTenants turns the configured tenants into the handlers' view: one set
// of upstream clients per tenant, all sharing one bounded transport.
// Each Phonewagon account with a mirror block gets its mirror from ms.
func buildTenants(cfg *config.Config, st *stores, ms *mirrors, m *metrics.Metrics, logger *slog.Logger, tr *telemetry.Tracing) (map[string]*handlers.Tenant, error) {
	transport := tr.Transport(upstreamhttp.Timed(upstreamhttp.NewTransport()))
	out := make(map[string]*handlers.Tenant, len(cfg.Tenants))
	budgets := map[string]*ratelimit.Budget{} // one per Phonewagon account, shared by its tenants
	breakers := map[string]*breaker.Breaker{} // one per upstream account
	breakerFor := func(account, name string) (*breaker.Breaker, error) {
		if b, ok := breakers[account]; ok {
			return b, nil
		}
		b, err := newBreaker(name, m, logger)
		if err != nil {
			return nil, err
		}
		breakers[account] = b
		return b, nil
	}
	for _, t := range cfg.Tenants {
		ht := &handlers.Tenant{ID: t.ID, RateLimitPerMinute: t.RateLimitPerMinute}
		if cw := t.CallWidget; cw != nil {
			ht.CallWidgetAccount = cw.BaseURL.String() + "|" + cw.Email
			c, err := callwidget.New(callwidget.Config{
				BaseURL:   cw.BaseURL.String(),
				Email:     cw.Email,
				Password:  cw.Password,
				Transport: transport,
				Timeout:   cfg.UpstreamTimeout,
				Tokens:    st.tokens,
				TokenKey:  ht.CallWidgetAccount,
				Observe:   observe(m, "callwidget"),
				OnLogin:   m.TokenLogins.WithLabelValues(t.ID).Inc,
				OnRefresh: m.TokenRefreshes.WithLabelValues(t.ID).Inc,
				Logger:    logger.With("tenant", t.ID, "upstream", "callwidget"),
			})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
			br, err := breakerFor(ht.CallWidgetAccount, "callwidget:"+t.ID)
			if err != nil {
				return nil, err
			}
			ht.CallWidget = callwidget.NewService(c, br)
		}
		if pw := t.Phonewagon; pw != nil {
			ht.PhonewagonAccount = pw.Account()
			b, ok := budgets[ht.PhonewagonAccount]
			if !ok {
				var err error
				if b, err = st.budgetFor(pw, m, logger); err != nil {
					return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
				}
				budgets[ht.PhonewagonAccount] = b
			}
			ht.Budget = b
			c, err := phonewagon.New(phonewagon.Config{
				BaseURL:      pw.BaseURL.String(),
				ClientID:     pw.ClientID,
				ClientSecret: pw.ClientSecret,
				Transport:    transport,
				Timeout:      cfg.UpstreamTimeout,
				Budget:       b,
				Observe:      observe(m, "phonewagon"),
			})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
			br, err := breakerFor(ht.PhonewagonAccount, "phonewagon:"+pw.ClientID)
			if err != nil {
				return nil, err
			}
			svc := phonewagon.NewService(c, br)
			ht.Phonewagon = svc
			if pw.Mirror != nil {
				r, err := ms.forAccount(pw, svc)
				if err != nil {
					return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
				}
				ht.Mirror = r
			}
		}
		out[t.ID] = ht
	}
	return out, nil
}

// observe records one upstream request in the metrics.
func observe(m *metrics.Metrics, upstream string) func(endpoint string, status int, d time.Duration) {
	return func(endpoint string, status int, d time.Duration) {
		s := "error"
		if status > 0 {
			s = strconv.Itoa(status)
		}
		m.UpstreamRequests.WithLabelValues(upstream, endpoint, s).Inc()
		m.UpstreamDuration.WithLabelValues(upstream, endpoint).Observe(d.Seconds())
	}
}

// newBreaker builds the circuit breaker of one upstream account, reporting
// its state in the metrics and the log.
func newBreaker(name string, m *metrics.Metrics, logger *slog.Logger) (*breaker.Breaker, error) {
	m.BreakerState.WithLabelValues(name).Set(float64(breaker.Closed))
	return breaker.New(breaker.Config{
		Name: name,
		OnStateChange: func(name string, from, to breaker.State) {
			m.BreakerState.WithLabelValues(name).Set(float64(to))
			logger.Warn("upstream circuit breaker", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
}
