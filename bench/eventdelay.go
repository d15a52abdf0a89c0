package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// The event-delay run (SPEC §8): a live Phonewagon account, a mirror
// following it every eventSyncInterval, and a webhook endpoint in this
// process receiving call.created.
const (
	eventArrivalEvery = 2 * time.Second
	eventSyncInterval = "5s"
	eventHistory      = 200 // calls before the run: two backfill pages
	eventMaxRun       = 90 * time.Second
	eventTenant       = "ev"
	eventAccount      = "bench-live"
)

// eventFigures are the event-delay run's results. Delay is the receive time
// at the webhook endpoint minus the call's started_at: the simulated
// upstream shows a live call from its start time on (no LateBy), so
// started_at is when it appeared upstream; started_at has whole seconds,
// so a delay includes up to a second of the start's truncation.
type eventFigures struct {
	Duration       time.Duration
	Delivered      int // distinct live calls delivered as call.created
	Arrived        int // live calls the upstream showed by the end of the run (the last sync interval's may be undelivered)
	Median, P99    time.Duration
	Min, Max       time.Duration
	HistoryCreated int // call.created for calls older than the run (the backfill's)
}

// eventReceiver is the webhook endpoint: it records, per call id, when its
// first call.created arrived.
type eventReceiver struct {
	from time.Time // live calls start at or after it

	mu      sync.Mutex
	delays  map[string]time.Duration
	history int
}

func (e *eventReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			ID        string     `json:"id"`
			StartedAt *time.Time `json:"started_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Data.StartedAt == nil {
		http.Error(w, "payload", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
	if ev.Type != "call.created" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Data.StartedAt.Before(e.from) {
		e.history++
		return
	}
	if _, seen := e.delays[ev.Data.ID]; !seen { // a retry keeps the first delivery
		e.delays[ev.Data.ID] = got.Sub(*ev.Data.StartedAt)
	}
}

// runEventDelay runs the gateway (in-memory stores, as sandbox mode) with a
// live account and a webhook to this process for r.opts.Events, and
// measures each new call's delay from upstream to delivery.
func (r *runner) runEventDelay(ctx context.Context) (eventFigures, error) {
	length := min(r.opts.Events, eventMaxRun)
	r.logf("event delay: a call every ~%v, mirror sync_interval %s, for %v", eventArrivalEvery, eventSyncInterval, length)
	liveFrom := time.Now().Truncate(time.Second).Add(time.Second)
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: eventAccount, ClientSecret: upstreamSecret, Seed: 7,
			Calls: eventHistory, ArrivalEvery: eventArrivalEvery}},
		Anchor:   time.Now().UTC().Truncate(time.Hour).Add(-time.Hour),
		LiveFrom: liveFrom,
	})
	if err != nil {
		return eventFigures{}, err
	}
	pwURL, stopPW, err := r.serveInProcess(ctx, sim)
	if err != nil {
		return eventFigures{}, err
	}
	defer stopPW()
	recv := &eventReceiver{from: liveFrom, delays: make(map[string]time.Duration)}
	hook := httptest.NewServer(recv)
	defer hook.Close()

	file := filepath.Join(r.dir, "event-tenants.yaml")
	t := tenantSpec{ID: eventTenant, PhonewagonURL: pwURL, ClientID: eventAccount, Budget: economyBudget,
		Mirror: "{sync_interval: " + eventSyncInterval + "}", WebhookURL: hook.URL + "/hook", WebhookSecret: "whsec_" + randomKey(32).Reveal()}
	if err := writeTenants(file, []tenantSpec{t}); err != nil {
		return eventFigures{}, err
	}
	g, err := r.startGateway(ctx, gatewayConfig{CPU: -1, TenantsFile: file})
	if err != nil {
		return eventFigures{}, err
	}
	select {
	case <-ctx.Done():
		r.procs.stop(g.child)
		return eventFigures{}, ctx.Err()
	case <-time.After(length):
	}
	// Calls that appeared in the last sync interval may still be on their
	// way: Arrived counts every live call shown by the end, for scale.
	end := time.Now()
	r.procs.stop(g.child)
	arrived := 0
	data, _ := sim.Dataset(eventAccount)
	for _, c := range data.Calls {
		if c.StartTime >= liveFrom.UnixMilli() && c.StartTime <= end.UnixMilli() {
			arrived++
		}
	}

	recv.mu.Lock()
	defer recv.mu.Unlock()
	ds := make([]time.Duration, 0, len(recv.delays))
	for _, d := range recv.delays {
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return eventFigures{}, errors.New("event delay: no call.created delivered for a live call")
	}
	slices.Sort(ds)
	return eventFigures{Duration: length, Delivered: len(ds), Arrived: arrived, HistoryCreated: recv.history,
		Median: ds[len(ds)/2], P99: ds[min(len(ds)-1, (len(ds)*99+99)/100-1)], Min: ds[0], Max: ds[len(ds)-1]}, nil
}

// String is the one-line summary.
func (f eventFigures) String() string {
	return fmt.Sprintf("%d live calls delivered (%d shown upstream by the end), delay median %s, p99 %s (min %s, max %s)",
		f.Delivered, f.Arrived, fmtDuration(f.Median), fmtDuration(f.P99), fmtDuration(f.Min), fmtDuration(f.Max))
}
