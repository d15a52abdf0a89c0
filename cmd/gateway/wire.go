package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"switchboard/internal/breaker"
	"switchboard/internal/config"
	"switchboard/internal/domain"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
	"switchboard/internal/telemetry"
	"switchboard/internal/upstream/callwidget"
	"switchboard/internal/upstream/phonewagon"
	"switchboard/internal/upstream/upstreamhttp"
)

// buildTenants turns the configured tenants into the handlers' view: one set
// of upstream clients per tenant, all sharing one bounded transport.
func buildTenants(cfg *config.Config, st *stores, m *metrics.Metrics, logger *slog.Logger, tr *telemetry.Tracing) (map[string]*handlers.Tenant, error) {
	transport := tr.Transport(upstreamhttp.Timed(upstreamhttp.NewTransport()))
	out := make(map[string]*handlers.Tenant, len(cfg.Tenants))
	budgets := map[string]*budgetReporter{}   // one per Phonewagon account, shared by its tenants
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
			ht.CallWidget = callWidgetService{c: c, br: br}
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
				Budget:       b.b,
				Observe:      observe(m, "phonewagon"),
			})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
			br, err := breakerFor(ht.PhonewagonAccount, "phonewagon:"+pw.ClientID)
			if err != nil {
				return nil, err
			}
			ht.Phonewagon = phonewagonService{c: c, br: br}
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

// guarded runs call through br and returns its value.
func guarded[T any](ctx context.Context, br *breaker.Breaker, call func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := br.Do(ctx, func(ctx context.Context) error {
		var err error
		v, err = call(ctx)
		return err
	})
	return v, err
}

// callWidgetService adapts the CallWidget client to the handlers'
// interface; every call goes through the account's circuit breaker.
type callWidgetService struct {
	c  *callwidget.Client
	br *breaker.Breaker
}

func (s callWidgetService) Installs(ctx context.Context) ([]domain.Install, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Install, error) {
		v, _, err := s.c.Installs(ctx)
		return v, err
	})
}

func (s callWidgetService) Departments(ctx context.Context) ([]domain.Lookup, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Lookup, error) {
		v, _, err := s.c.Departments(ctx)
		return v, err
	})
}

func (s callWidgetService) Tags(ctx context.Context) ([]domain.Lookup, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Lookup, error) {
		v, _, err := s.c.Tags(ctx)
		return v, err
	})
}

func (s callWidgetService) Automations(ctx context.Context) ([]domain.Lookup, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Lookup, error) {
		v, _, err := s.c.Automations(ctx)
		return v, err
	})
}

// Act sends an action. A refusal by the open breaker never reached the
// upstream, so it stays retriable.
func (s callWidgetService) Act(ctx context.Context, endpoint string, body []byte) (domain.ActionResult, error) {
	return guarded(ctx, s.br, func(ctx context.Context) (domain.ActionResult, error) {
		v, _, err := s.c.Act(ctx, callwidget.Action("/"+endpoint), body)
		return v, err
	})
}

// phonewagonService adapts the Phonewagon client to the handlers'
// interface; every call goes through the account's circuit breaker, outside
// the budget, so that a refusal never spends a budget slot.
type phonewagonService struct {
	c  *phonewagon.Client
	br *breaker.Breaker
}

func (s phonewagonService) Companies(ctx context.Context) ([]domain.Company, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Company, error) {
		v, _, err := s.c.Companies(ctx)
		return v, err
	})
}

func (s phonewagonService) Campaigns(ctx context.Context, companyID string) ([]domain.Campaign, error) {
	return guarded(ctx, s.br, func(ctx context.Context) ([]domain.Campaign, error) {
		v, _, err := s.c.Campaigns(ctx, companyID)
		return v, err
	})
}

func (s phonewagonService) Calls(ctx context.Context, q handlers.CallsQuery) (handlers.CallsPage, error) {
	return guarded(ctx, s.br, func(ctx context.Context) (handlers.CallsPage, error) {
		calls, resp, err := s.c.Calls(ctx, phonewagon.CallsOptions(q))
		if err != nil {
			return handlers.CallsPage{}, err
		}
		page := handlers.CallsPage{Calls: calls}
		if resp != nil && resp.Next != nil {
			next := handlers.CallsQuery(*resp.Next)
			page.Next = &next
		}
		return page, nil
	})
}
