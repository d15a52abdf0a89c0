package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// The dashboard workload of the upstream-economy run.
const (
	economyTenants  = 20
	economyReplicas = 3
	economyApps     = 3 // dashboards per tenant
	economyEvery    = 3 * time.Second
	economyBudget   = 50 // Phonewagon's documented limit
	economyLatency  = 20 * time.Millisecond
)

// economyFigures are what the issue asks the run to print.
type economyFigures struct {
	Duration        time.Duration
	ClientRequests  int64
	Client2xx       int64
	Upstream        map[string]int64 // by upstream
	Upstream429     int64
	UpstreamTotal   int64
	ClientErrors    int64 // transport failures, counted in ClientRequests
	PerTenantBudget int
	Mirror          bool // every tenant's account kept a mirror (its sync counted upstream)
	// Backfill is the upstream requests (both upstreams) from the replicas'
	// start until every mirror was backfilled, which took BackfillTook; the
	// other figures count only the dashboards' window after it.
	Backfill     int64
	BackfillTook time.Duration
	Mirrored     int64 // client answers served from the mirror (X-Cache: MIRROR)
}

// upstreamTally counts the requests a simulator answered, by status.
type upstreamTally struct {
	mu     sync.Mutex
	counts map[string]int64
	s429   int64
}

func (u *upstreamTally) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		u.mu.Lock()
		defer u.mu.Unlock()
		u.counts[name]++
		if sw.status == http.StatusTooManyRequests {
			u.s429++
		}
	})
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

// runEconomy serves economyTenants tenants' dashboards from economyReplicas
// replicas on one Redis for the run's economy duration, against simulators
// that enforce Phonewagon's real limit, and counts both sides. With mirror,
// every account keeps a mirror (default settings): the run starts with the
// gateways, so the backfill's and the follows' requests are counted with
// the rest.
func (r *runner) runEconomy(ctx context.Context, mirror bool) (economyFigures, error) {
	r.logf("upstream economy (mirror %v): %d tenants × %d dashboards over %d replicas for %v", mirror, economyTenants, economyApps, economyReplicas, r.opts.Economy)
	tally := &upstreamTally{counts: make(map[string]int64)}
	tenants, stopUpstreams, err := r.startEconomyUpstreams(ctx, tally)
	if mirror {
		for i := range tenants {
			tenants[i].Mirror = "{}"
		}
	}
	if err != nil {
		return economyFigures{}, err
	}
	defer stopUpstreams()
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

	// With the mirror, the dashboards start once every account's backfill
	// is done; the backfill's requests are reported on their own, and the
	// window counts the follows and revisits with the rest.
	var before map[string]int64
	var backfill int64
	var backfillTook time.Duration
	if mirror {
		began := time.Now()
		for _, tok := range tokens {
			if err := replicas[0].waitCovered(ctx, tok, mirrorWait); err != nil {
				return economyFigures{}, err
			}
		}
		backfillTook = time.Since(began)
		tally.mu.Lock()
		before = maps.Clone(tally.counts)
		for _, n := range before {
			backfill += n
		}
		tally.mu.Unlock()
		r.logf("upstream economy: every mirror backfilled in %s with %d upstream requests", backfillTook.Round(time.Second), backfill)
	}
	dash := &dashboards{replicas: replicas, client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: economyTenants * economyApps}}}
	dash.run(ctx, tokens, r.opts.Economy)
	fig := economyFigures{Duration: r.opts.Economy, PerTenantBudget: economyBudget, Mirror: mirror,
		ClientRequests: dash.total.Load(), Client2xx: dash.ok.Load(), ClientErrors: dash.failed.Load(),
		Backfill: backfill, BackfillTook: backfillTook, Mirrored: dash.mirrored.Load()}
	tally.mu.Lock()
	defer tally.mu.Unlock()
	fig.Upstream = make(map[string]int64, len(tally.counts))
	for name, n := range tally.counts {
		fig.Upstream[name] = n - before[name]
		fig.UpstreamTotal += n - before[name]
	}
	fig.Upstream429 = tally.s429
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

// dashboards are the polling apps: each tenant's economyApps dashboards
// refresh every economyEvery (from a random offset) with the first two
// pages of recent calls and two lookups, each request sent to the next
// replica as a round-robin load balancer would.
type dashboards struct {
	replicas []*gateway
	client   *http.Client
	next     atomic.Uint64
	total    atomic.Int64
	ok       atomic.Int64
	failed   atomic.Int64
	mirrored atomic.Int64 // answers with X-Cache: MIRROR
}

func (d *dashboards) run(ctx context.Context, tokens []string, length time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, length)
	defer cancel()
	var wg sync.WaitGroup
	for _, tok := range tokens {
		for range economyApps {
			wg.Go(func() { d.poll(ctx, tok) })
		}
	}
	wg.Wait()
}

func (d *dashboards) poll(ctx context.Context, token string) {
	wait := time.Duration(rand.Int64N(int64(economyEvery)))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = economyEvery
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		if d.get(ctx, "/v1/calls?limit=25", token, &page) && page.NextCursor != nil {
			d.get(ctx, "/v1/calls?limit=25&cursor="+url.QueryEscape(*page.NextCursor), token, nil)
		}
		d.get(ctx, "/v1/tags", token, nil)
		d.get(ctx, "/v1/departments", token, nil)
	}
}

// get sends one request to the next replica and counts its outcome; a
// request cut short by the end of the run is not counted.
func (d *dashboards) get(ctx context.Context, path, token string, into any) bool {
	g := d.replicas[d.next.Add(1)%uint64(len(d.replicas))]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+path, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := d.client.Do(req)
	if ctx.Err() != nil {
		if err == nil {
			resp.Body.Close()
		}
		return false
	}
	d.total.Add(1)
	if err != nil {
		d.failed.Add(1)
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return false
	}
	if resp.Header.Get("X-Cache") == "MIRROR" {
		d.mirrored.Add(1)
	}
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			d.failed.Add(1)
			return false
		}
	}
	d.ok.Add(1)
	return true
}

// String is the one-line summary logged at the end of the run.
func (f economyFigures) String() string {
	return fmt.Sprintf("%d client requests, %d upstream requests, %d upstream 429s", f.ClientRequests, f.UpstreamTotal, f.Upstream429)
}
