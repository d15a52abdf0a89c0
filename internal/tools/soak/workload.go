package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// opKind is one kind of request in the mix.
type opKind int

const (
	opCalls     opKind = iota // GET /v1/calls with a limit and a filter
	opFollow                  // GET the next page of an earlier calls page
	opCompanies               // GET /v1/companies
	opCampaigns               // GET /v1/campaigns, all or one company's
	opLookup                  // GET /v1/tags, departments, installs or automations
	opBudget                  // GET /v1/budget
	opMessage                 // POST /v1/messages with an Idempotency-Key
	opContact                 // POST /v1/contacts with an Idempotency-Key
)

// weightedOp is one entry of the mix.
type weightedOp struct {
	op     opKind
	weight int
}

// mix is the workload: mostly reads, a fifth writes, as an internal app
// reporting on calls and sending the odd text would do.
func mix() []weightedOp {
	return []weightedOp{
		{opCalls, 28}, {opFollow, 14}, {opCompanies, 6}, {opCampaigns, 6},
		{opLookup, 20}, {opBudget, 6}, {opMessage, 10}, {opContact, 10},
	}
}

// chooseOp draws an operation from the mix.
func chooseOp(rng *rand.Rand, m []weightedOp) opKind {
	total := 0
	for _, w := range m {
		total += w.weight
	}
	n := rng.IntN(total)
	for _, w := range m {
		if n < w.weight {
			return w.op
		}
		n -= w.weight
	}
	return m[len(m)-1].op
}

// workloadConfig configures runWorkload.
type workloadConfig struct {
	Replicas []*replica
	Tenants  []*tenantState
	Client   *client
	Ledger   *ledger
	// Rate is the requests started per second for each tenant, whatever
	// the answers' latency (an open loop, as independent callers are).
	Rate     float64
	Duration time.Duration
	Seed     uint64
}

// runWorkload sends the mix for cfg.Duration, then waits for the requests
// in flight. ctx ending stops it early and cancels those requests.
func runWorkload(ctx context.Context, cfg workloadConfig) {
	loadCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	slots := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	var inflight sync.WaitGroup
	var dispatchers sync.WaitGroup
	for i, t := range cfg.Tenants {
		dispatchers.Go(func() {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
			// Tenants start spread over one interval, not in lockstep.
			if !sleepCtx(loadCtx, time.Duration(rng.Int64N(int64(interval)))) {
				return
			}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case slots <- struct{}{}:
					op, seed := chooseOp(rng, mix()), rng.Uint64()
					inflight.Go(func() {
						defer func() { <-slots }()
						w := worker{cfg: cfg, t: t, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
						w.run(ctx, op)
					})
				default:
					cfg.Client.rec.skip()
				}
				select {
				case <-loadCtx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	dispatchers.Wait()
	inflight.Wait()
}

// worker runs one operation for one tenant.
type worker struct {
	cfg workloadConfig
	t   *tenantState
	rng *rand.Rand
}

func (w worker) run(ctx context.Context, op opKind) {
	switch op {
	case opCalls:
		w.calls(ctx, w.callsPath())
	case opFollow:
		path, ok := w.t.popCursor()
		if !ok {
			path = w.callsPath()
		}
		w.calls(ctx, path)
	case opCompanies:
		w.get(ctx, "/v1/companies")
	case opCampaigns:
		path := "/v1/campaigns"
		if w.rng.IntN(2) == 0 {
			path += "?company_id=" + url.QueryEscape(pickOne(w.rng, w.t.Companies))
		}
		w.get(ctx, path)
	case opLookup:
		w.get(ctx, pickOne(w.rng, []string{"/v1/tags", "/v1/departments", "/v1/installs", "/v1/automations"}))
	case opBudget:
		w.get(ctx, "/v1/budget")
	case opMessage, opContact:
		w.cfg.Ledger.post(ctx, w.cfg.Client, w.cfg.Replicas, w.t, op == opMessage, w.rng)
	}
}

// oldSince and oldUntil are a calls window long past, whose pages the
// gateway caches longer (SPEC §5); the simulators' calls span the 90 days
// before 2026-11-01.
const (
	oldSince = "2026-09-01T00:00:00Z"
	oldUntil = "2026-09-08T00:00:00Z"
)

// callsPath is a first calls page: one of five limits and six filters.
func (w worker) callsPath() string {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(pickOne(w.rng, []int{5, 10, 25, 50, 100})))
	switch w.rng.IntN(6) {
	case 2:
		q.Set("company_id", pickOne(w.rng, w.t.Companies))
	case 3:
		q.Set("campaign_id", pickOne(w.rng, w.t.Campaigns))
	case 4:
		q.Set("since", oldSince)
		q.Set("until", oldUntil)
	case 5:
		q.Set("company_id", pickOne(w.rng, w.t.Companies))
		q.Set("since", oldSince)
		q.Set("until", oldUntil)
	}
	return "/v1/calls?" + q.Encode()
}

// calls fetches a calls page and keeps its next page for a later follow.
func (w worker) calls(ctx context.Context, path string) {
	resp, ok := w.get(ctx, path)
	if !ok || resp.Status != 200 {
		return
	}
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	if json.Unmarshal(resp.Body, &page) != nil || page.NextCursor == nil {
		return
	}
	u, err := url.Parse(path)
	if err != nil {
		return
	}
	q := u.Query()
	q.Set("cursor", *page.NextCursor)
	w.t.pushCursor(u.Path + "?" + q.Encode())
}

func (w worker) get(ctx context.Context, path string) (response, bool) {
	u, _ := url.Parse(path)
	op := "GET /v1/?"
	if u != nil {
		op = "GET " + u.Path
	}
	return w.cfg.Client.do(ctx, call{Replica: w.t.pick(w.cfg.Replicas), Tenant: w.t, Method: "GET", Path: path, Op: op})
}

// pickOne returns a random element of a non-empty slice.
func pickOne[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// sleepCtx waits d or until ctx is done, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
