package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// The upstream-economy run: economyCallers callers (each a token, with its
// own `sub`, running the workload's apps) served by economyReplicas
// replicas on one Redis, against simulators that enforce Phonewagon's
// documented limit.
const (
	economyCallers  = 20
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
	// workloadCompany is workloadApps from companies that each connect
	// economySharing callers: one tenant per company (its CallWidget login,
	// its Phonewagon account), whose apps are callers with their own `sub`
	// in their tokens, as SPEC §2 has it (`sub` the calling app, `tenant`
	// the company).
	workloadCompany = "company"
	// workloadShared is workloadApps from tenants that are apps of the same
	// companies: every economySharing tenants share one CallWidget login and
	// one Phonewagon account (the same client_id and secret in the tenants
	// file), each tenant keeping its own response cache.
	workloadShared = "shared"
)

// economySharing is how many callers of one company share its accounts in
// workloadCompany and workloadShared.
const economySharing = 5

// economyWorkloads are the workloads in the order they run and appear in.
func economyWorkloads() []string {
	return []string{workloadDashboards, workloadApps, workloadCompany, workloadShared}
}

// defaultEconomyWorkloads are the workloads make bench runs.
func defaultEconomyWorkloads() []string {
	return []string{workloadDashboards, workloadApps, workloadCompany}
}

// economyWorkload is what a workload's name stands for.
type economyWorkload struct {
	Name string
	// Apps adds the report apps and exports to the dashboards.
	Apps bool
	// CallersPerTenant is how many of the economyCallers callers are apps
	// of each tenant (1: every caller its own tenant).
	CallersPerTenant int
	// TenantsPerAccount is how many tenants share each CallWidget login and
	// Phonewagon account (1: every tenant its own).
	TenantsPerAccount int
}

// Tenants is how many tenants the workload's callers belong to.
func (w economyWorkload) Tenants() int { return economyCallers / w.CallersPerTenant }

// Accounts is how many Phonewagon accounts (and CallWidget logins) the
// workload's tenants use.
func (w economyWorkload) Accounts() int { return w.Tenants() / w.TenantsPerAccount }

// RateLimit is the rate_limit_per_minute of the workload's tenants: the
// default (0) for a tenant of one caller, which stays well under it; a
// tenant of several callers gets the default for each of them, as a
// company connecting several apps would configure.
func (w economyWorkload) RateLimit() int {
	if w.CallersPerTenant == 1 {
		return 0
	}
	return w.CallersPerTenant * domain.DefaultRateLimitPerMinute
}

// workloadOf returns the workload named name; it must be one of
// economyWorkloads.
func workloadOf(name string) economyWorkload {
	switch name {
	case workloadApps:
		return economyWorkload{Name: name, Apps: true, CallersPerTenant: 1, TenantsPerAccount: 1}
	case workloadCompany:
		return economyWorkload{Name: name, Apps: true, CallersPerTenant: economySharing, TenantsPerAccount: 1}
	case workloadShared:
		return economyWorkload{Name: name, Apps: true, CallersPerTenant: 1, TenantsPerAccount: economySharing}
	}
	return economyWorkload{Name: name, CallersPerTenant: 1, TenantsPerAccount: 1}
}

// The windows an economy run counts.
const (
	// windowCold starts with the apps, on an empty cache and before any
	// CallWidget login: every first fill is in it.
	windowCold = "cold"
	// windowSteady starts after the warm-up (-economy-warmup), the same
	// workload having run until then: it counts what a deployment that has
	// been up for a while pays, the refills of expired entries included.
	windowSteady = "steady"
)

// economyWindow is one counted window of an economy run, as offsets from
// the apps' start.
type economyWindow struct {
	Name     string
	From, To time.Duration
}

// economyWindows are the windows the options ask for: the cold one of
// -economy, then, unless the warm-up is 0, the steady one of
// -economy-steady (default: as long as the cold one) after the warm-up.
func economyWindows(o options) []economyWindow {
	out := []economyWindow{{Name: windowCold, From: 0, To: o.Economy}}
	if o.EconomyWarmup > 0 {
		steady := o.EconomySteady
		if steady == 0 {
			steady = o.Economy
		}
		out = append(out, economyWindow{Name: windowSteady, From: o.EconomyWarmup, To: o.EconomyWarmup + steady})
	}
	return out
}

// economyFigures are what one economy run measured.
type economyFigures struct {
	Workload string
	// Tenants is how many tenants the callers belonged to, and Accounts
	// how many Phonewagon accounts (and CallWidget logins) they used.
	Tenants, Accounts int
	// Window is windowCold or windowSteady; the window ran from Start after
	// the apps started, for Duration.
	Window          string
	Start           time.Duration
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

// snapshot returns copies of the counts by upstream and by kind, and the
// 429s.
func (u *upstreamTally) snapshot() (counts, kinds map[string]int64, s429 int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return maps.Clone(u.counts), maps.Clone(u.kinds), u.s429
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

// runEconomy serves economyCallers callers' workload from economyReplicas
// replicas on one Redis, against simulators that enforce Phonewagon's real
// limit, and counts both sides over each window of economyWindows: the
// apps run until the last window ends. With mirror, every account keeps a
// mirror (default settings) and the apps start once every account is
// backfilled.
func (r *runner) runEconomy(ctx context.Context, name string, mirror bool) ([]economyFigures, error) {
	w := workloadOf(name)
	windows := economyWindows(r.opts)
	var length time.Duration
	for _, win := range windows {
		length = max(length, win.To)
	}
	r.logf("upstream economy (%s, mirror %v): %d callers of %d tenants on %d accounts over %d replicas for %v", name, mirror,
		economyCallers, w.Tenants(), w.Accounts(), economyReplicas, length)
	tally := newUpstreamTally()
	tenants, stopUpstreams, err := r.startEconomyUpstreams(ctx, tally, w)
	if err != nil {
		return nil, err
	}
	defer stopUpstreams()
	if mirror {
		for i := range tenants {
			tenants[i].Mirror = "{}" // the same settings for tenants sharing an account, as the SPEC requires
		}
	}
	tokens, err := economyTokens(r.jwtSecret, tenants, w)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(r.dir, "economy-tenants.yaml")
	if err := writeTenants(file, tenants); err != nil {
		return nil, err
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
			return nil, err
		}
		replicas = append(replicas, g)
	}

	var backfill int64
	var backfillTook time.Duration
	if mirror {
		began := time.Now()
		for i := 0; i < len(tokens); i += w.CallersPerTenant { // one caller of each tenant
			if err := replicas[0].waitCovered(ctx, tokens[i], mirrorWait); err != nil {
				return nil, err
			}
		}
		backfillTook = time.Since(began)
		counts, _, _ := tally.snapshot()
		for _, n := range counts {
			backfill += n
		}
		r.logf("upstream economy: every mirror backfilled in %s with %d upstream requests", backfillTook.Round(time.Second), backfill)
	}
	apps := newEconomyApps(replicas, tokens, w)
	marks, err := r.runMarked(ctx, apps, length, windows, tally, replicas, mirror)
	if err != nil {
		return nil, err
	}
	var out []economyFigures
	for _, win := range windows {
		from, to := marks[win.From], marks[win.To]
		fig := economyFigures{Workload: name, Tenants: w.Tenants(), Accounts: w.Accounts(), Window: win.Name, Start: win.From, Duration: win.To - win.From,
			PerTenantBudget: economyBudget, Mirror: mirror, Backfill: backfill, BackfillTook: backfillTook,
			Client: apps.rec.stats(from.at, to.at), Upstream429: to.s429 - from.s429,
			Upstream: diffCounts(to.counts, from.counts), UpstreamKinds: diffCounts(to.kinds, from.kinds)}
		for _, n := range fig.Upstream {
			fig.UpstreamTotal += n
		}
		if mirror {
			fig.Sync, fig.SyncRefused = to.sync.minus(from.sync)
		}
		r.logf("upstream economy (%s, mirror %v, %s window %v–%v): %s", name, mirror, win.Name, win.From, win.To, fig)
		out = append(out, fig)
	}
	return out, nil
}

// economyMark is what had been counted at one instant of an economy run.
type economyMark struct {
	at            time.Time
	counts, kinds map[string]int64
	s429          int64
	sync          syncCounts // nil without the mirror
}

// runMarked runs apps for length and takes a mark at the start and at
// every window's bounds (offsets from the start), keyed by offset.
func (r *runner) runMarked(ctx context.Context, apps *economyApps, length time.Duration, windows []economyWindow,
	tally *upstreamTally, replicas []*gateway, mirror bool) (map[time.Duration]economyMark, error) {
	mark := func() (economyMark, error) {
		m := economyMark{at: time.Now()}
		m.counts, m.kinds, m.s429 = tally.snapshot()
		if mirror {
			var err error
			if m.sync, err = scrapeSync(ctx, replicas); err != nil {
				return m, err
			}
		}
		return m, nil
	}
	offsets := []time.Duration{0}
	for _, win := range windows {
		offsets = append(offsets, win.From, win.To)
	}
	slices.Sort(offsets)
	offsets = slices.Compact(offsets)
	marks := make(map[time.Duration]economyMark, len(offsets))
	m, err := mark()
	if err != nil {
		return nil, err
	}
	marks[0] = m
	start := m.at
	done := make(chan struct{})
	go func() { defer close(done); apps.run(ctx, start, length) }()
	defer func() { <-done }()
	for _, off := range offsets[1:] {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Until(start.Add(off))):
		}
		if marks[off], err = mark(); err != nil {
			return nil, err
		}
		r.logf("upstream economy: %v into the run", off)
	}
	return marks, nil
}

// diffCounts returns to − from for every key of to.
func diffCounts(to, from map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(to))
	for k, n := range to {
		out[k] = n - from[k]
	}
	return out
}

// startEconomyUpstreams serves a CallWidget and a Phonewagon simulator in
// this process, counted by tally, with a login and an account for each of
// w's accounts, and returns w's tenants on them: each company's tenants are
// consecutive, and share its CallWidget login and its Phonewagon account
// with the same credentials, as a tenants file of a real deployment would
// name them.
func (r *runner) startEconomyUpstreams(ctx context.Context, tally *upstreamTally, w economyWorkload) ([]tenantSpec, func(), error) {
	accounts := w.Accounts()
	if accounts < 1 || economyCallers%w.CallersPerTenant != 0 || w.Tenants()%w.TenantsPerAccount != 0 {
		return nil, nil, fmt.Errorf("economy: %d callers do not split evenly over %d tenants and %d accounts", economyCallers, w.Tenants(), accounts)
	}
	users := make([]callwidgetsim.User, accounts)
	accts := make([]phonewagonsim.Account, accounts)
	for i := range accounts {
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
	return economyTenantSpecs(w, pwURL, cwURL+callwidgetsim.BasePath), func() { stopPW(); stopCW() }, nil
}

// economyTenantSpecs are w's tenants on its Phonewagon accounts at pwURL and
// as many CallWidget logins at cwURL: tenant i belongs to company
// i / w.TenantsPerAccount, whose login and account it names.
func economyTenantSpecs(w economyWorkload, pwURL, cwURL string) []tenantSpec {
	tenants := make([]tenantSpec, w.Tenants())
	for i := range tenants {
		c := i / w.TenantsPerAccount
		tenants[i] = tenantSpec{ID: "e" + strconv.Itoa(i), PhonewagonURL: pwURL, ClientID: accountID(c), Budget: economyBudget,
			CallWidgetURL: cwURL, Email: "ops" + strconv.Itoa(c) + "@bench.example", RateLimit: w.RateLimit()}
	}
	return tenants
}

// economyTokens are the economyCallers callers' tokens: caller i is app
// i % w.CallersPerTenant of tenant i / w.CallersPerTenant, with a `sub` of
// its own.
func economyTokens(secret domain.Secret, tenants []tenantSpec, w economyWorkload) ([]string, error) {
	tokens := make([]string, economyCallers)
	for i := range tokens {
		t := tenants[i/w.CallersPerTenant].ID
		var err error
		if tokens[i], err = callerTokenAs(secret, t, "bench-"+t+"-app"+strconv.Itoa(i%w.CallersPerTenant)); err != nil {
			return nil, err
		}
	}
	return tokens, nil
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
