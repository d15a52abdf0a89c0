package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// maxSamples bounds the examples kept of slow or unexpected answers.
const maxSamples = 5

// outcome is one request the workload sent and what came back.
type outcome struct {
	Tenant  string
	Replica string
	Op      string // the operation, e.g. "GET /v1/calls"
	Start   time.Time
	Latency time.Duration
	// Status is the HTTP status; 0 when no response arrived (Err is set).
	Status int
	// Slug is the problem type's slug for a problem+json answer.
	Slug string
	// Err is the client-side failure, when there was no response.
	Err error
	// Cache is the answer's X-Cache (HIT, MISS, STALE, BYPASS), if any.
	Cache string
	// Detail is the start of an unexpected answer's body, for diagnosis.
	Detail string
}

// rateLimited reports whether the tenant's inbound limit refused it.
func (o outcome) rateLimited() bool { return o.Status == 429 && o.Slug == "rate-limited" }

// unexpected5xx reports a server error other than the upstream-facing
// 502, 503 and 504 the gateway is allowed to answer.
func (o outcome) unexpected5xx() bool {
	return o.Status >= 500 && o.Status != 502 && o.Status != 503 && o.Status != 504
}

// recorder collects outcomes. It is safe for concurrent use.
type recorder struct {
	bound time.Duration // latency bound; slower answers are kept as samples

	mu           sync.Mutex
	served       int
	statuses     map[int]int
	slugs        map[string]int
	cache        map[string]int
	clientErrors map[string]int
	latencies    []time.Duration
	skipped      int
	admitted     map[string][]time.Time // tenant → starts of requests the inbound limit let through
	slowest      []outcome              // the slowest answers, slowest first
	odd          []outcome              // unexpected 5xx and client errors
	failed       []outcome              // requests without an answer
}

func newRecorder(bound time.Duration) *recorder {
	return &recorder{
		bound:        bound,
		statuses:     map[int]int{},
		slugs:        map[string]int{},
		cache:        map[string]int{},
		clientErrors: map[string]int{},
		admitted:     map[string][]time.Time{},
	}
}

// add records one outcome.
func (r *recorder) add(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o.Status == 0 {
		r.failed = append(r.failed, o)
		return
	}
	r.served++
	r.statuses[o.Status]++
	if o.Slug != "" {
		r.slugs[o.Slug]++
	}
	if o.Cache != "" {
		r.cache[o.Cache]++
	}
	if o.unexpected5xx() {
		r.keepOdd(o)
	}
	r.latencies = append(r.latencies, o.Latency)
	if !o.rateLimited() {
		r.admitted[o.Tenant] = append(r.admitted[o.Tenant], o.Start)
	}
	r.keepSlow(o)
}

// skip counts a tick that found every in-flight slot busy.
func (r *recorder) skip() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped++
}

func (r *recorder) keepOdd(o outcome) {
	if len(r.odd) < maxSamples {
		r.odd = append(r.odd, o)
	}
}

func (r *recorder) keepSlow(o outcome) {
	if len(r.slowest) == maxSamples && o.Latency <= r.slowest[maxSamples-1].Latency {
		return
	}
	i, _ := slices.BinarySearchFunc(r.slowest, o, func(a, b outcome) int {
		return int(b.Latency - a.Latency) // slowest first
	})
	r.slowest = slices.Insert(r.slowest, i, o)
	if len(r.slowest) > maxSamples {
		r.slowest = r.slowest[:maxSamples]
	}
}

// summary is what the recorder saw, ready to print.
type summary struct {
	Served       int
	Skipped      int
	Statuses     map[int]int
	Slugs        map[string]int
	Cache        map[string]int
	ClientErrors map[string]int
	// KilledErrors are the requests without an answer that were in flight
	// on the replica the soak SIGKILLed.
	KilledErrors int
	P50, P99     time.Duration
	Max          time.Duration
	OverBound    int
	// AdmittedPeak is, per tenant, the most requests the inbound limit let
	// through in any 60 s window.
	AdmittedPeak map[string]int
	Slowest      []outcome
	Odd          []outcome
}

// summarize computes the summary; latencies are sorted in place. A request
// without an answer for which excused is true (it was in flight on a
// replica the soak killed) is counted apart from the client errors.
func (r *recorder) summarize(excused func(outcome) bool) summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	excusedErrors := 0
	for _, o := range r.failed {
		if excused != nil && excused(o) {
			excusedErrors++
			continue
		}
		r.clientErrors[clientErrorKind(o.Err)]++
		r.keepOdd(o)
	}
	r.failed = nil
	slices.Sort(r.latencies)
	s := summary{
		Served:       r.served,
		Skipped:      r.skipped,
		Statuses:     r.statuses,
		Slugs:        r.slugs,
		Cache:        r.cache,
		ClientErrors: r.clientErrors,
		KilledErrors: excusedErrors,
		P50:          percentile(r.latencies, 50),
		P99:          percentile(r.latencies, 99),
		AdmittedPeak: map[string]int{},
		Slowest:      slices.Clone(r.slowest),
		Odd:          slices.Clone(r.odd),
	}
	if n := len(r.latencies); n > 0 {
		s.Max = r.latencies[n-1]
	}
	for _, l := range r.latencies {
		if l > r.bound {
			s.OverBound++
		}
	}
	for tenant, starts := range r.admitted {
		_, s.AdmittedPeak[tenant] = windowExcess(starts, time.Minute, 0)
	}
	return s
}

// percentile returns the p-th percentile (nearest rank) of sorted, or 0
// when it is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
