package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"switchboard/internal/breaker"
	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
	"switchboard/internal/mirror"
	"switchboard/internal/ratelimit"
	"switchboard/internal/telemetry"
	"switchboard/internal/upstream/callwidget"
	"switchboard/internal/upstream/phonewagon"
	"switchboard/internal/upstream/upstreamhttp"
)

// wiring turns configured tenants into the handlers' view: one set of
// upstream clients per tenant, all sharing one bounded transport, with the
// budgets and breakers of their accounts. It builds the first generation at
// start-up and each one a reload brings; a tenant whose settings did not
// change keeps its clients (and with them its login), an account still named
// keeps its budget and breaker.
type wiring struct {
	st        *stores
	m         *metrics.Metrics
	logger    *slog.Logger
	transport http.RoundTripper
	timeout   time.Duration
	accounts  *accounts
	mirrors   *mirrors

	mu    sync.Mutex              // serializes build
	built map[string]*builtTenant // the generation in force, by tenant id
}

// builtTenant is a tenant of the generation in force and what it was built
// from.
type builtTenant struct {
	cfg      config.Tenant
	tenant   *handlers.Tenant
	budget   *ratelimit.Budget
	breakers [2]*breaker.Breaker // CallWidget, Phonewagon
	mirror   *mirror.Reader      // nil without a mirror
}

func newWiring(cfg *config.Config, st *stores, ms *mirrors, m *metrics.Metrics, logger *slog.Logger, tr *telemetry.Tracing) *wiring {
	w := &wiring{
		st: st, m: m, logger: logger, mirrors: ms,
		transport: tr.Transport(upstreamhttp.Timed(upstreamhttp.NewTransport())),
		timeout:   cfg.UpstreamTimeout,
		accounts:  newAccounts(),
		built:     map[string]*builtTenant{},
	}
	m.SetState(w.accounts.state)
	return w
}

// tenantChanges names the tenants a new generation adds, removes and changes.
type tenantChanges struct {
	Added, Removed, Changed []string
}

// build makes the generation of cfg's tenants the one in force and returns
// it. On error nothing changes: the generation in force stays. Whatever else
// belongs to an account and runs in the background (the call-history
// mirror's syncers) follows the same pattern as budgets and breakers: taken
// over from the generation in force when its settings are equal, built
// otherwise, and on commit the ones left behind are stopped.
func (w *wiring) build(cfg *config.Config) (map[string]*handlers.Tenant, tenantChanges, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	gen := w.accounts.begin()
	mgen := w.mirrors.begin()
	out := make(map[string]*handlers.Tenant, len(cfg.Tenants))
	built := make(map[string]*builtTenant, len(cfg.Tenants))
	var ch tenantChanges
	for _, t := range cfg.Tenants {
		bt, err := w.buildTenant(gen, mgen, t)
		if err != nil {
			return nil, tenantChanges{}, fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		switch old, ok := w.built[t.ID]; {
		case !ok:
			ch.Added = append(ch.Added, t.ID)
		case old.tenant != bt.tenant:
			ch.Changed = append(ch.Changed, t.ID)
		}
		built[t.ID], out[t.ID] = bt, bt.tenant
	}
	for id := range w.built {
		if _, ok := built[id]; !ok {
			ch.Removed = append(ch.Removed, id)
		}
	}
	for _, l := range [][]string{ch.Added, ch.Removed, ch.Changed} {
		slices.Sort(l)
	}
	gen.commit()
	mgen.commit() // stops the syncers of mirrors no longer in force, starts the new ones
	w.built = built
	return out, ch, nil
}

// buildTenant builds t, or returns the tenant in force when t's settings and
// its accounts' budget and breakers are the same.
func (w *wiring) buildTenant(gen *generation, mgen *mirrorGeneration, t config.Tenant) (*builtTenant, error) {
	bt := &builtTenant{cfg: t}
	if cw := t.CallWidget; cw != nil {
		br, err := gen.breaker("callwidget|"+cw.BaseURL.String()+"|"+cw.Email, "callwidget:"+cw.Email, w.newBreaker)
		if err != nil {
			return nil, err
		}
		bt.breakers[0] = br
	}
	if pw := t.Phonewagon; pw != nil {
		b, err := gen.budget(pw, func() (*ratelimit.Budget, error) { return w.st.budgetFor(pw, w.m, w.logger) })
		if err != nil {
			return nil, err
		}
		bt.budget = b
		br, err := gen.breaker("phonewagon|"+pw.Account(), "phonewagon:"+pw.ClientID, w.newBreaker)
		if err != nil {
			return nil, err
		}
		bt.breakers[1] = br
		if pw.Mirror != nil {
			bt.mirror = mgen.existing(pw) // nil: built below with the new service
		}
	}
	if old, ok := w.built[t.ID]; ok && old.budget == bt.budget && old.breakers == bt.breakers && old.mirror == bt.mirror && reflect.DeepEqual(old.cfg, t) {
		return old, nil
	}
	ht := &handlers.Tenant{ID: t.ID, RateLimitPerMinute: t.RateLimitPerMinute}
	if cw := t.CallWidget; cw != nil {
		ht.CallWidgetAccount = cw.BaseURL.String() + "|" + cw.Email
		c, err := callwidget.New(callwidget.Config{
			BaseURL:   cw.BaseURL.String(),
			Email:     cw.Email,
			Password:  cw.Password,
			Transport: w.transport,
			Timeout:   w.timeout,
			Tokens:    w.st.tokens,
			TokenKey:  ht.CallWidgetAccount,
			Observe:   observe(w.m, "callwidget"),
			OnLogin:   w.m.TokenLogins.WithLabelValues(t.ID).Inc,
			OnRefresh: w.m.TokenRefreshes.WithLabelValues(t.ID).Inc,
			Logger:    w.logger.With("tenant", t.ID, "upstream", "callwidget"),
		})
		if err != nil {
			return nil, err
		}
		ht.CallWidget = callwidget.NewService(c, bt.breakers[0])
	}
	if pw := t.Phonewagon; pw != nil {
		ht.PhonewagonAccount = pw.Account()
		ht.Budget = bt.budget
		c, err := phonewagon.New(phonewagon.Config{
			BaseURL:      pw.BaseURL.String(),
			ClientID:     pw.ClientID,
			ClientSecret: pw.ClientSecret,
			Transport:    w.transport,
			Timeout:      w.timeout,
			Budget:       bt.budget,
			Observe:      observe(w.m, "phonewagon"),
		})
		if err != nil {
			return nil, err
		}
		svc := phonewagon.NewService(c, bt.breakers[1])
		ht.Phonewagon = svc
		if pw.Mirror != nil {
			if bt.mirror == nil {
				if bt.mirror, err = mgen.create(pw, svc); err != nil {
					return nil, err
				}
			}
			ht.Mirror = bt.mirror
		}
	}
	bt.tenant = ht
	return bt, nil
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

// newBreaker builds the circuit breaker of one upstream account; its state
// is read by the gauges when scraped, and each change is logged.
func (w *wiring) newBreaker(name string) (*breaker.Breaker, error) {
	return breaker.New(breaker.Config{
		Name: name,
		OnStateChange: func(name string, from, to breaker.State) {
			w.logger.Warn("upstream circuit breaker", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
}
