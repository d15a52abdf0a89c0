package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The apps of the economy workloads, per tenant. Every app starts at a
// seeded offset within its period and draws its choices from a generator
// seeded with economySeed, the tenant and the app: the same run asks the
// same shape of requests every time (the dates follow the day it runs).
const (
	economySeed = 1

	// Dashboards: each refreshes every economyDashEvery with the first two
	// pages of recent calls (25 a page) and the tags and departments.
	economyDashboards = 3
	economyDashEvery  = 3 * time.Second

	// Report apps: each runs a report every economyReportEvery, as a person
	// picking a filter in a reporting tool would: the company list, that
	// company's campaigns, then the calls of a window of whole days within
	// the last economyReportDays, unfiltered or by the company or by one of
	// its campaigns, paging through up to economyReportPages pages of
	// economyReportLimit by next_cursor.
	economyReporters   = 2
	economyReportEvery = 20 * time.Second
	economyReportDays  = 7
	economyReportLimit = 50
	economyReportPages = 4

	// Exports: one per tenant every economyExportEvery, of one whole day
	// within the last economyReportDays (a nightly sync catching up, a CSV
	// someone downloads), read to the end.
	economyExportEvery = 30 * time.Second
)

// The apps, as the report names them.
const (
	appDashboard = "dashboard"
	appReport    = "report"
	appExport    = "export"
)

// economyApps are the client side of an economy run: every tenant's apps,
// each request sent to the next replica as a round-robin load balancer
// would.
type economyApps struct {
	replicas []*gateway
	tokens   []string
	workload economyWorkload
	client   *http.Client
	next     atomic.Uint64
	rec      *clientRecorder
}

func newEconomyApps(replicas []*gateway, tokens []string, workload economyWorkload) *economyApps {
	perTenant := economyDashboards + economyReporters + 1
	return &economyApps{replicas: replicas, tokens: tokens, workload: workload, rec: newClientRecorder(),
		client: &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: len(tokens) * perTenant}}}
}

// run runs every app from start (now) until start+length; a.rec holds
// what the clients saw.
func (a *economyApps) run(ctx context.Context, start time.Time, length time.Duration) {
	ctx, cancel := context.WithDeadline(ctx, start.Add(length))
	defer cancel()
	var wg sync.WaitGroup
	for i, tok := range a.tokens {
		app := 0
		start := func(every time.Duration, once func(ctx context.Context, rng *rand.Rand, tok string)) {
			rng := rand.New(rand.NewPCG(economySeed, uint64(i)<<8|uint64(app)))
			app++
			wg.Go(func() { periodic(ctx, rng, every, func() { once(ctx, rng, tok) }) })
		}
		for range economyDashboards {
			start(economyDashEvery, a.dashboard)
		}
		if a.workload.Apps {
			for range economyReporters {
				start(economyReportEvery, a.report)
			}
			start(economyExportEvery, a.export)
		}
	}
	wg.Wait()
}

// periodic calls once every period, the first time at an offset drawn from
// rng, until ctx ends.
func periodic(ctx context.Context, rng *rand.Rand, period time.Duration, once func()) {
	wait := time.Duration(rng.Int64N(int64(period)))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		began := time.Now()
		once()
		wait = max(period-time.Since(began), 0)
	}
}

// dashboard is one refresh of a polling dashboard.
func (a *economyApps) dashboard(ctx context.Context, _ *rand.Rand, tok string) {
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	if a.get(ctx, appDashboard, "/v1/calls?limit=25", tok, &page) && page.NextCursor != nil {
		a.get(ctx, appDashboard, "/v1/calls?limit=25&cursor="+url.QueryEscape(*page.NextCursor), tok, nil)
	}
	a.get(ctx, appDashboard, "/v1/tags", tok, nil)
	a.get(ctx, appDashboard, "/v1/departments", tok, nil)
}

// report is one report: pick a company, maybe a campaign, and a window of
// whole days, then page through the calls.
func (a *economyApps) report(ctx context.Context, rng *rand.Rand, tok string) {
	var companies struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if !a.get(ctx, appReport, "/v1/companies", tok, &companies) || len(companies.Data) == 0 {
		return
	}
	company := companies.Data[rng.IntN(len(companies.Data))].ID
	var campaigns struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if !a.get(ctx, appReport, "/v1/campaigns?company_id="+url.QueryEscape(company), tok, &campaigns) {
		return
	}
	q := url.Values{"limit": {strconv.Itoa(economyReportLimit)}}
	switch rng.IntN(3) {
	case 1:
		q.Set("company_id", company)
	case 2:
		if len(campaigns.Data) > 0 {
			q.Set("campaign_id", campaigns.Data[rng.IntN(len(campaigns.Data))].ID)
		} else {
			q.Set("company_id", company)
		}
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	back := 1 + rng.IntN(economyReportDays)
	since := today.AddDate(0, 0, -back)
	q.Set("since", since.Format(time.RFC3339))
	if rng.IntN(2) == 1 { // a closed window; else up to now
		q.Set("until", since.AddDate(0, 0, 1+rng.IntN(back)).Format(time.RFC3339))
	}
	base := "/v1/calls?" + q.Encode()
	path := base
	for range economyReportPages {
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		if !a.get(ctx, appReport, path, tok, &page) || page.NextCursor == nil {
			return
		}
		path = base + "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
}

// export downloads one whole day of calls as NDJSON.
func (a *economyApps) export(ctx context.Context, rng *rand.Rand, tok string) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -1-rng.IntN(economyReportDays))
	q := url.Values{"since": {since.Format(time.RFC3339)}, "until": {since.AddDate(0, 0, 1).Format(time.RFC3339)}}
	a.get(ctx, appExport, "/v1/calls/export?"+q.Encode(), tok, nil)
}

// get sends one request to the next replica, reads the whole answer (into
// into, when given) and records its outcome and latency under app; a
// request cut short by the end of the run is not counted.
func (a *economyApps) get(ctx context.Context, app, path, token string, into any) bool {
	g := a.replicas[a.next.Add(1)%uint64(len(a.replicas))]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+path, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	began := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			a.rec.record(app, outcome{at: time.Now(), took: time.Since(began), failed: true})
		}
		return false
	}
	defer resp.Body.Close()
	ok := resp.StatusCode/100 == 2
	if ok && into != nil {
		err = json.NewDecoder(resp.Body).Decode(into)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if ctx.Err() != nil {
		return false
	}
	o := outcome{at: time.Now(), took: time.Since(began), status: resp.StatusCode, failed: err != nil,
		mirrored: resp.Header.Get("X-Cache") == "MIRROR"}
	a.rec.record(app, o)
	return ok && err == nil
}

// outcome is one client request as the client saw it.
type outcome struct {
	at       time.Time // when the answer was read (or the request failed)
	took     time.Duration
	status   int  // 0 without an answer
	failed   bool // no answer, or the answer could not be read whole
	mirrored bool // X-Cache: MIRROR
}

// clientRecorder collects every client request's outcome by app. It is
// safe for concurrent use.
type clientRecorder struct {
	mu    sync.Mutex
	byApp map[string][]outcome
}

func newClientRecorder() *clientRecorder { return &clientRecorder{byApp: make(map[string][]outcome)} }

func (c *clientRecorder) record(app string, o outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byApp[app] = append(c.byApp[app], o)
}

// appStats summarize the requests of one app (or of all).
type appStats struct {
	Requests int64 // every request that got an answer or failed
	OK       int64 // 2xx answers read whole
	Failed   int64 // no answer, or not read whole
	Status   map[int]int64
	Mirrored int64
	P50, P99 time.Duration
}

// clientStats are the client side of an economy run.
type clientStats struct {
	ByApp map[string]appStats
	All   appStats
}

// Total is every app's requests together.
func (c clientStats) Total() appStats { return c.All }

// stats summarizes the requests recorded at from or later and before to.
func (c *clientRecorder) stats(from, to time.Time) clientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := clientStats{ByApp: make(map[string]appStats)}
	var all []outcome
	for app, os := range c.byApp {
		var in []outcome
		for _, o := range os {
			if !o.at.Before(from) && o.at.Before(to) {
				in = append(in, o)
			}
		}
		if len(in) == 0 {
			continue
		}
		out.ByApp[app] = summarizeOutcomes(in)
		all = append(all, in...)
	}
	out.All = summarizeOutcomes(all)
	return out
}

// summarizeOutcomes counts os and takes the latency percentiles of the
// requests that got an answer.
func summarizeOutcomes(os []outcome) appStats {
	s := appStats{Requests: int64(len(os)), Status: make(map[int]int64)}
	var took []time.Duration
	for _, o := range os {
		switch {
		case o.failed:
			s.Failed++
		case o.status/100 == 2:
			s.OK++
		}
		if o.status != 0 {
			s.Status[o.status]++
			took = append(took, o.took)
		}
		if o.mirrored {
			s.Mirrored++
		}
	}
	s.P50, s.P99 = percentile(took, 0.50), percentile(took, 0.99)
	return s
}
