package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// The upstream-economy run: economyTenants tenants served by
// economyReplicas replicas on one Redis, against simulators that enforce
// Phonewagon's documented limit.
const (
	economyTenants  = 20
	economyReplicas = 3
	economyBudget   = 50 // Phonewagon's documented limit
	economyLatency  = 20 * time.Millisecond
)

// The workloads of the economy run (-economy-workloads).
const (
	// workloadDashboards is every tenant's polling dashboards alone.
	workloadDashboards = "dashboards"
	// workloadApps adds the apps a company connects besides them: report
	// apps asking varied filters and windows and paging deeper, and exports.
	workloadApps = "apps"
)

// economyWorkloads are the workloads in the order they run and appear in.
func economyWorkloads() []string { return []string{workloadDashboards, workloadApps} }

// economyFigures are what one economy run measured.
type economyFigures struct {
	Workload        string
	Duration        time.Duration
	PerTenantBudget int
	Mirror          bool // every tenant's account kept a mirror (its sync counted upstream)
	Client          clientStats
	// Upstream counts the window's upstream requests by upstream ("Phonewagon",
	// "CallWidget") and UpstreamKinds by kind (upstreamKind).
	Upstream      map[string]int64
	UpstreamKinds map[string]int64
	Upstream429   int64
	UpstreamTotal int64
	// Sync is the mirror's own upstream requests of the window, by kind
	// (backfill, follow, revisit), summed over the replicas' metrics; nil
	// without the mirror. SyncRefused counts the ones its budget lane held
	// back (never sent).
	Sync        map[string]int64
	SyncRefused int64
	// Backfill is the upstream requests (both upstreams) from the replicas'
	// start until every mirror was backfilled, which took BackfillTook; the
	// other figures count only the apps' window after it.
	Backfill     int64
	BackfillTook time.Duration
}

// ServedPerUpstream is client requests per upstream request of the window.
func (f economyFigures) ServedPerUpstream() float64 {
	if f.UpstreamTotal == 0 {
		return 0
	}
	return float64(f.Client.Total().Requests) / float64(f.UpstreamTotal)
}

// String is the one-line summary logged at the end of the run.
func (f economyFigures) String() string {
	c := f.Client.Total()
	return fmt.Sprintf("%d client requests (%d 2xx), %d upstream requests, %d upstream 429s, p50 %s p99 %s",
		c.Requests, c.OK, f.UpstreamTotal, f.Upstream429, fmtDuration(c.P50), fmtDuration(c.P99))
}

// upstreamTally counts the requests a simulator answered, by upstream, by
// kind and 429s.
type upstreamTally struct {
	mu     sync.Mutex
	counts map[string]int64
	kinds  map[string]int64
	s429   int64
}

func newUpstreamTally() *upstreamTally {
	return &upstreamTally{counts: make(map[string]int64), kinds: make(map[string]int64)}
}

func (u *upstreamTally) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		u.mu.Lock()
		defer u.mu.Unlock()
		u.counts[name]++
		u.kinds[upstreamKind(name, r.URL.Path)]++
		if sw.status == http.StatusTooManyRequests {
			u.s429++
		}
	})
}

// snapshot returns copies of the counts by upstream and by kind.
func (u *upstreamTally) snapshot() (counts, kinds map[string]int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return maps.Clone(u.counts), maps.Clone(u.kinds)
}

// The kinds of upstream request, from the simulators' paths.
const (
	kindCalls     = "Phonewagon calls pages"
	kindCompanies = "Phonewagon company lists"
	kindCampaigns = "Phonewagon campaign lists"
	kindLogin     = "CallWidget login/refresh"
	kindLookups   = "CallWidget lookups"
	kindOther     = "other"
)

// upstreamKinds are the kinds in the order the report lists them.
func upstreamKinds() []string {
	return []string{kindCalls, kindCompanies, kindCampaigns, kindLogin, kindLookups, kindOther}
}

// upstreamKind names what a request to upstream at path was for.
func upstreamKind(upstream, path string) string {
	switch upstream {
	case "Phonewagon":
		switch path {
		case "/calls":
			return kindCalls
		case "/companies":
			return kindCompanies
		case "/campaigns":
			return kindCampaigns
		}
	case "CallWidget":
		rel := strings.TrimPrefix(path, callwidgetsim.BasePath)
		switch {
		case rel == "/api-login" || rel == "/refresh-token":
			return kindLogin
		case strings.HasPrefix(rel, "/share/"):
			return kindLookups
		}
	}
	return kindOther
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Flush passes a streamed answer's flushes on.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// runEconomy serves economyTenants tenants' workload from economyReplicas
// replicas on one Redis for the run's economy duration, against simulators
// that enforce Phonewagon's real limit, and counts both sides. With mirror,
// every account keeps a mirror (default settings) and the apps start once
// every account is backfilled.
func (r *runner) runEconomy(ctx context.Context, workload string, mirror bool) (economyFigures, error) {
	r.logf("upstream economy (%s, mirror %v): %d tenants over %d replicas for %v", workload, mirror, economyTenants, economyReplicas, r.opts.Economy)
	tally := newUpstreamTally()
	tenants, stopUpstreams, err := r.startEconomyUpstreams(ctx, tally)
	if err != nil {
		return economyFigures{}, err
	}
	defer stopUpstreams()
	if mirror {
		for i := range tenants {
			tenants[i].Mirror = "{}"
		}
	}
	tokens := make([]string, len(tenants))
	for i, t := range tenants {
		if tokens[i], err = callerToken(r.jwtSecret, t.ID); err != nil {
			return economyFigures{}, err
		}
	}
	file := filepath.Join(r.dir, "economy-tenants.yaml")
	if err := writeTenants(file, tenants); err != nil {
		return economyFigures{}, err
	}
	prefix := newPrefix()
	defer r.cleanPrefix(prefix) // deferred first: runs after the replicas stopped
	replicas := make([]*gateway, 0, economyReplicas)
	defer func() {
		for _, g := range replicas {
			r.procs.stop(g.child)
		}
	}()
	for range economyReplicas {
		g, err := r.startGateway(ctx, gatewayConfig{CPU: -1, TenantsFile: file, RedisPrefix: prefix})
		if err != nil {
			return economyFigures{}, err
		}
		replicas = append(replicas, g)
	}

	fig := economyFigures{Workload: workload, Duration: r.opts.Economy, PerTenantBudget: economyBudget, Mirror: mirror}
	var before, beforeKinds map[string]int64
	var syncBefore syncCounts
	if mirror {
		began := time.Now()
		for _, tok := range tokens {
			if err := replicas[0].waitCovered(ctx, tok, mirrorWait); err != nil {
				return economyFigures{}, err
			}
		}
		fig.BackfillTook = time.Since(began)
		before, beforeKinds = tally.snapshot()
		for _, n := range before {
			fig.Backfill += n
		}
		if syncBefore, err = scrapeSync(ctx, replicas); err != nil {
			return economyFigures{}, err
		}
		r.logf("upstream economy: every mirror backfilled in %s with %d upstream requests", fig.BackfillTook.Round(time.Second), fig.Backfill)
	}
	apps := newEconomyApps(replicas, tokens, workload)
	apps.run(ctx, r.opts.Economy)
	fig.Client = apps.tally
	if mirror {
		after, err := scrapeSync(ctx, replicas)
		if err != nil {
			return economyFigures{}, err
		}
		fig.Sync, fig.SyncRefused = after.minus(syncBefore)
	}
	counts, kinds := tally.snapshot()
	fig.Upstream, fig.UpstreamKinds = make(map[string]int64), make(map[string]int64)
	for name, n := range counts {
		fig.Upstream[name] = n - before[name]
		fig.UpstreamTotal += n - before[name]
	}
	for kind, n := range kinds {
		fig.UpstreamKinds[kind] = n - beforeKinds[kind]
	}
	tally.mu.Lock()
	fig.Upstream429 = tally.s429
	tally.mu.Unlock()
	r.logf("upstream economy (%s, mirror %v): %s", workload, mirror, fig)
	return fig, nil
}

// startEconomyUpstreams serves a CallWidget and a Phonewagon simulator in
// this process, counted by tally, and returns one tenant per login and
// account on them.
func (r *runner) startEconomyUpstreams(ctx context.Context, tally *upstreamTally) ([]tenantSpec, func(), error) {
	users := make([]callwidgetsim.User, economyTenants)
	accts := make([]phonewagonsim.Account, economyTenants)
	for i := range economyTenants {
		users[i] = callwidgetsim.User{Email: "ops" + strconv.Itoa(i) + "@bench.example", Password: callWidgetPassword, Seed: int64(i + 1)}
		accts[i] = phonewagonsim.Account{ClientID: accountID(i), ClientSecret: upstreamSecret, Seed: int64(i + 1)}
	}
	cw, err := callwidgetsim.New(callwidgetsim.Config{Users: users, Latency: economyLatency})
	if err != nil {
		return nil, nil, err
	}
	pw, err := phonewagonsim.New(phonewagonsim.Config{Accounts: accts, Latency: economyLatency,
		Anchor: time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)})
	if err != nil {
		return nil, nil, err
	}
	cwURL, stopCW, err := r.serveInProcess(ctx, tally.wrap("CallWidget", cw))
	if err != nil {
		return nil, nil, err
	}
	pwURL, stopPW, err := r.serveInProcess(ctx, tally.wrap("Phonewagon", pw))
	if err != nil {
		stopCW()
		return nil, nil, err
	}
	tenants := make([]tenantSpec, economyTenants)
	for i := range tenants {
		tenants[i] = tenantSpec{ID: "e" + strconv.Itoa(i), PhonewagonURL: pwURL, ClientID: accountID(i), Budget: economyBudget,
			CallWidgetURL: cwURL + callwidgetsim.BasePath, Email: users[i].Email}
	}
	return tenants, func() { stopPW(); stopCW() }, nil
}

// serveInProcess serves h on a free loopback port until the returned stop.
func (r *runner) serveInProcess(ctx context.Context, h http.Handler) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- listenAndServe(sctx, addr, h) }()
	return "http://" + addr, func() { cancel(); <-done }, nil
}
