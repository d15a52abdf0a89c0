package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Shares of the logical POSTs sent twice with one Idempotency-Key and one
// body: one after the other on two replicas (the caller retrying), or at
// the same time on two replicas (a double submit).
const (
	retryShare      = 0.30
	concurrentShare = 0.10
)

// ledger sends the logical POSTs and keeps what the caller was promised,
// to be checked against the upstream's own log. Every logical POST carries
// a marker of its own (the text's message, the contact's first name), so
// that the upstream actions it caused can be counted. It is safe for
// concurrent use.
type ledger struct {
	prefix string // the run's marker prefix
	seq    atomic.Uint64

	mu sync.Mutex
	// acknowledged are the markers some answer confirmed with a 2xx.
	acknowledged []string
	logical      int
	sentTwice    int
	replays      int // second answers that replayed the first, as they should
	// mismatched are the second answers that did not, when they should have.
	mismatched []mismatchNote
	// spans are, per marker sent twice, when its first send began and its
	// last ended.
	spans map[string][2]time.Time
}

func newLedger(runID string) *ledger {
	return &ledger{prefix: "soak-" + runID + "-", spans: map[string][2]time.Time{}}
}

// post sends one logical text (message) or contact, maybe twice.
func (l *ledger) post(ctx context.Context, cl *client, rs []*replica, t *tenantState, message bool, rng *rand.Rand) {
	n := l.seq.Add(1)
	marker := fmt.Sprintf("%s%d", l.prefix, n)
	fields := map[string]string{
		"phone":   fmt.Sprintf("+1786245%04d", n%10000),
		"install": pickOne(rng, t.Installs),
	}
	path, op := "/v1/contacts", "POST /v1/contacts"
	if message {
		path, op = "/v1/messages", "POST /v1/messages"
		fields["message"] = marker
	} else {
		fields["first_name"] = marker
	}
	body, _ := json.Marshal(fields) // a map of strings always encodes
	first, second := t.pick(rs), t.pick(rs)
	mk := func(r *replica) call {
		return call{Replica: r, Tenant: t, Method: "POST", Path: path, Body: body, Op: op,
			Header: map[string]string{"Idempotency-Key": "k-" + marker}}
	}

	var answers []response
	began := time.Now()
	switch p := rng.Float64(); {
	case p < concurrentShare:
		var a, b response
		var okA, okB bool
		var wg sync.WaitGroup
		wg.Go(func() { a, okA = cl.do(ctx, mk(first)) })
		wg.Go(func() { b, okB = cl.do(ctx, mk(second)) })
		wg.Wait()
		answers = kept(answers, a, okA)
		answers = kept(answers, b, okB)
		l.checkConcurrent(marker, answers)
	case p < concurrentShare+retryShare:
		a, okA := cl.do(ctx, mk(first))
		b, okB := cl.do(ctx, mk(second))
		answers = kept(answers, a, okA)
		answers = kept(answers, b, okB)
		if okA && okB {
			l.checkRetry(marker, a, b)
		}
	default:
		a, ok := cl.do(ctx, mk(first))
		answers = kept(answers, a, ok)
	}
	l.settle(marker, len(answers) > 1, answers, began, time.Now())
}

func kept(rs []response, r response, ok bool) []response {
	if ok {
		return append(rs, r)
	}
	return rs
}

// checkRetry: a retry after a 2xx, or after a failure marked "retriable":
// false (sent, outcome unknown: a timeout, a reset connection), must replay
// the first answer exactly (SPEC §5), unless the inbound limit refused the
// retry before the idempotency check.
func (l *ledger) checkRetry(marker string, first, retry response) {
	if !(is2xx(first.Status) || first.NotRetriable) || retry.Slug == "rate-limited" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if retry.replayed() && retry.Status == first.Status && bytes.Equal(retry.Body, first.Body) {
		l.replays++
		return
	}
	l.mismatch(marker, fmt.Sprintf("%s: first %d, retry %d replayed=%v", marker, first.Status, retry.Status, retry.replayed()))
}

// checkConcurrent: of two simultaneous sends, at most one may be answered
// fresh; the other is 409 idempotency-key-in-use or a replay of it.
func (l *ledger) checkConcurrent(marker string, answers []response) {
	fresh, replayed := 0, 0
	for _, a := range answers {
		switch {
		case a.replayed():
			replayed++
		case is2xx(a.Status):
			fresh++
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replays += replayed
	if fresh > 1 {
		l.mismatch(marker, fmt.Sprintf("%s: two fresh 2xx answers to one key", marker))
	}
}

// mismatch records a broken promise of marker's key; l.mu is held.
func (l *ledger) mismatch(marker, s string) {
	l.mismatched = append(l.mismatched, mismatchNote{marker: marker, note: s})
}

// mismatchNote is one broken promise.
type mismatchNote struct{ marker, note string }

// settle records a logical POST, sent from began to ended; a 2xx answer
// means the upstream acted.
func (l *ledger) settle(marker string, twice bool, answers []response, began, ended time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logical++
	if twice {
		l.sentTwice++
		l.spans[marker] = [2]time.Time{began, ended}
	}
	for _, a := range answers {
		if is2xx(a.Status) {
			l.acknowledged = append(l.acknowledged, marker)
			return
		}
	}
}

// ledgerSummary is what the ledger saw.
type ledgerSummary struct {
	Logical, SentTwice, Replays, Mismatches int
	// MismatchesAcrossRestart are broken promises of keys whose sends
	// spanned the empty Redis restart, which loses every idempotency
	// record (README: replaying a key across a restart needs persistence).
	MismatchesAcrossRestart int
	// AcrossRestart are the markers sent twice across the restart.
	AcrossRestart map[string]bool
	Acknowledged  []string
	Samples       []string
}

// summarize sums the ledger up; across says whether a span of sends
// straddled the Redis restart.
func (l *ledger) summarize(across func(from, to time.Time) bool) ledgerSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := ledgerSummary{
		Logical: l.logical, SentTwice: l.sentTwice, Replays: l.replays, AcrossRestart: map[string]bool{},
		Acknowledged: append([]string(nil), l.acknowledged...),
	}
	for m, sp := range l.spans {
		if across != nil && across(sp[0], sp[1]) {
			out.AcrossRestart[m] = true
		}
	}
	for _, mm := range l.mismatched {
		if out.AcrossRestart[mm.marker] {
			out.MismatchesAcrossRestart++
			continue
		}
		out.Mismatches++
		if len(out.Samples) < maxSamples {
			out.Samples = append(out.Samples, mm.note)
		}
	}
	return out
}

func is2xx(status int) bool { return status >= 200 && status <= 299 }
