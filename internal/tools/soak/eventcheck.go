package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// Timings of the events' checks.
const (
	// drainTimeout bounds the wait, after the load, for every SSE client
	// and webhook receiver to have the events of the final log: a flaky
	// receiver fails an event at most twice, so its retries come within
	// 10 s + 20 s (SPEC §8's growing delays), and an attempt a killed
	// replica held is taken over after 30 s.
	drainTimeout = 90 * time.Second
	// ackBeforeKill: a webhook-id acknowledged this long before the
	// replica's SIGKILL may not have been marked delivered by it, so a
	// second delivery is an unanswered attempt's retry (SPEC §8).
	ackBeforeKill = 2 * time.Second
)

// accountLog is one mirrored account's event log as replayed after the
// load: the expected set of every SSE client and webhook receiver of the
// account's tenants. Events recorded before the empty Redis restart are
// not in it: the restart loses them from the log (it may also lose what
// was queued for webhooks then), so they are not required, only counted.
type accountLog struct {
	Account string
	Events  []streamEvent
	Err     string
	// BeforeRestart is the log replayed just before Redis was stopped.
	BeforeRestart []streamEvent
	// UnknownCalls are events about a call the simulator never held.
	UnknownCalls int
	// OutOfOrder are replayed ids not above the one before.
	OutOfOrder int
}

// ids returns the ids of the events of the given types (all when empty).
func (l accountLog) ids(types []string) []string {
	var out []string
	for _, e := range l.Events {
		if len(types) == 0 || slices.Contains(types, e.Type) {
			out = append(out, e.ID)
		}
	}
	return out
}

// sseCheck is one SSE client's figures.
type sseCheck struct {
	Name, Account string
	Expected      int // events of the final log
	Received      int // distinct events received in all
	Missed        int // of Expected, never received
	Duplicates    int
	OutOfOrder    int
	Connects      int
	// BeforeRestart: of the events the restart lost from the log, those
	// the client had received.
	BeforeRestart int
	Statuses      map[int]int
}

// webhookCheck is one webhook receiver's figures.
type webhookCheck struct {
	Name, Account string
	Expected      int // events of the final log of the endpoint's types
	Delivered     int // distinct event ids acknowledged with a 2xx
	Missed        int // of Expected, never acknowledged
	Attempts      int
	Failed        int // attempts failed on purpose (500, timeout)
	// Duplicates are ids delivered again after a 2xx; DuplicatesAfterKill
	// those whose 2xx came just before the replica was SIGKILLed (the
	// attempt was unanswered as far as the gateway knew).
	Duplicates, DuplicatesAfterKill int
	BadSignatures, BadBodies        int
	WrongType                       int
	BeforeRestart                   int
}

// eventsReport is the events' part of the report.
type eventsReport struct {
	Logs     []accountLog
	SSE      []sseCheck
	Webhooks []webhookCheck
	// Drained: every client and receiver had the final log within
	// drainTimeout (they are checked either way).
	Drained  bool
	DrainFor time.Duration
}

// collectLogs replays every mirrored account's log after the load.
func collectLogs(ctx context.Context, rs []*replica, targets []mirrorTarget, pw *phonewagonsim.Server, d *disruptions) []accountLog {
	var out []accountLog
	for _, tg := range targets {
		l := accountLog{Account: tg.Account, BeforeRestart: d.LogBeforeRestart[tg.Account]}
		evs, err := readLog(ctx, tg.Tenant.pick(rs), tg.Tenant)
		if err != nil {
			l.Err = err.Error()
		}
		l.Events = evs
		ds, _ := pw.Dataset(tg.Account)
		held := map[string]bool{}
		for _, c := range ds.Calls {
			held[strconv.FormatInt(c.ID, 10)] = true
		}
		prev := zeroEventID
		for _, e := range evs {
			if !held[e.CallID] {
				l.UnknownCalls++
			}
			if !eventIDLess(prev, e.ID) {
				l.OutOfOrder++
			}
			prev = e.ID
		}
		out = append(out, l)
	}
	return out
}

// accountOf is the Phonewagon client id of a tenant.
func accountOf(tenant string) string {
	for _, spec := range topology() {
		if spec.ID == tenant {
			return pwClientID(spec.PWAccount)
		}
	}
	return ""
}

// drainEvents waits until every SSE client and receiver has the events of
// the final logs, or drainTimeout passes; it reports whether they did.
func drainEvents(ctx context.Context, logs []accountLog, clients []*sseClient, recv []*receiver) (bool, time.Duration) {
	byAccount := map[string]accountLog{}
	for _, l := range logs {
		byAccount[l.Account] = l
	}
	start := time.Now()
	for {
		done := true
		for _, c := range clients {
			if !c.hasAll(byAccount[accountOf(c.Tenant.ID)].ids(nil)) {
				done = false
			}
		}
		for _, r := range recv {
			if !r.hasAll(byAccount[accountOf(r.Spec.Tenant)].ids(r.Spec.Types)) {
				done = false
			}
		}
		if done || time.Since(start) > drainTimeout || ctx.Err() != nil {
			return done, time.Since(start)
		}
		sleepCtx(ctx, time.Second)
	}
}

// checkEvents compares what every client and receiver got with the logs.
func checkEvents(logs []accountLog, clients []*sseClient, recv []*receiver, d *disruptions) ([]sseCheck, []webhookCheck) {
	byAccount := map[string]accountLog{}
	for _, l := range logs {
		byAccount[l.Account] = l
	}
	var sses []sseCheck
	for _, c := range clients {
		acct := accountOf(c.Tenant.ID)
		l := byAccount[acct]
		t := c.tally()
		want := l.ids(nil)
		sc := sseCheck{Name: c.Name(), Account: acct, Expected: len(want), Received: t.Received,
			Duplicates: t.Duplicates, OutOfOrder: t.OutOfOrder, Connects: t.Connects, Statuses: t.Statuses}
		for _, id := range want {
			if !t.Got[id] {
				sc.Missed++
			}
		}
		for _, e := range l.BeforeRestart {
			if t.Got[e.ID] {
				sc.BeforeRestart++
			}
		}
		sses = append(sses, sc)
	}
	var hooks []webhookCheck
	for _, r := range recv {
		acct := accountOf(r.Spec.Tenant)
		l := byAccount[acct]
		t := r.tally()
		want := l.ids(r.Spec.Types)
		wc := webhookCheck{Name: r.Name(), Account: acct, Expected: len(want), Delivered: len(t.Acked),
			Attempts: t.Attempts, Failed: t.Failed, BadSignatures: t.BadSig, BadBodies: t.BadBody, WrongType: t.WrongType}
		for _, id := range want {
			if len(t.Acked[id]) == 0 {
				wc.Missed++
			}
		}
		for _, id := range slices.Sorted(maps.Keys(t.Acked)) {
			acks := t.Acked[id]
			if len(acks) < 2 {
				continue
			}
			if !d.Kill.IsZero() && !acks[0].Before(d.Kill.Add(-ackBeforeKill)) && !acks[0].After(d.Kill) {
				wc.DuplicatesAfterKill += len(acks) - 1
				continue
			}
			wc.Duplicates += len(acks) - 1
		}
		for _, e := range l.BeforeRestart {
			if len(t.Acked[e.ID]) > 0 {
				wc.BeforeRestart++
			}
		}
		hooks = append(hooks, wc)
	}
	return sses, hooks
}

// failures lists the events' required zeros that are not zero.
func (e eventsReport) failures() []string {
	var out []string
	fail := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	for _, l := range e.Logs {
		fail(l.Err != "", "events_log."+l.Account)
		fail(l.UnknownCalls > 0, "events_unknown_calls."+l.Account)
		fail(l.OutOfOrder > 0, "events_log_out_of_order."+l.Account)
	}
	for _, s := range e.SSE {
		fail(s.Missed > 0, "sse_missed."+s.Name)
		fail(s.Duplicates > 0, "sse_duplicates."+s.Name)
		fail(s.OutOfOrder > 0, "sse_out_of_order."+s.Name)
	}
	for _, w := range e.Webhooks {
		fail(w.Missed > 0, "webhook_missed."+w.Name)
		fail(w.Duplicates > 0, "webhook_duplicates."+w.Name)
		fail(w.BadSignatures > 0, "webhook_bad_signatures."+w.Name)
		fail(w.BadBodies > 0, "webhook_bad_bodies."+w.Name)
		fail(w.WrongType > 0, "webhook_wrong_type."+w.Name)
	}
	return out
}

// describe is the note the report prints about the expected set.
func (e eventsReport) describe() string {
	return fmt.Sprintf("expected = each account's event log replayed after the load (GET /v1/events from %s); "+
		"events recorded before the empty Redis restart are lost from the log and not required", zeroEventID)
}
