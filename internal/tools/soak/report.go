package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// replicaReport is one replica's figures.
type replicaReport struct {
	Name             string
	PeakRSS          int64 // VmHWM, KiB; 0 when unknown
	Samples          replicaSamples
	GoroutinesBefore int // -1 when unknown
	GoroutinesAfter  int // -1 when unknown
	LogErrors        int
	Panics           int
	Exit             error
}

// report is everything the run prints.
type report struct {
	Opts        options
	Seed        uint64
	LoadStart   time.Time
	Interrupted bool
	Load        summary
	Ledger      ledgerSummary
	Actions     int // upstream actions carrying this run's markers
	Duplicates  int
	Lost        []string
	CWRequests  int
	PWRequests  int
	// GatewayCW and GatewayPW are the upstream requests the replicas
	// counted themselves (switchboard_upstream_requests_total); -1 when a
	// replica could not be scraped.
	GatewayCW, GatewayPW int
	CW429                int
	PW429                int
	PWLimited            int // of PW429, from the simulator's own rate limiter
	Budgets              []budgetCheck
	Faults               []injection
	Replicas             []replicaReport
	RedisKeys            int
}

// failures lists the checks that failed, by the name of their line.
func (r report) failures() []string {
	var out []string
	fail := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	fail(r.Interrupted, "interrupted")
	fail(r.budgetViolations() > 0, "budget_violations")
	fail(r.Duplicates > 0, "duplicate_upstream_actions")
	fail(len(r.Lost) > 0, "lost_actions")
	fail(r.Ledger.Mismatches > 0, "replay_mismatches")
	fail(r.unexpected5xx() > 0, "unexpected_5xx")
	fail(r.clientErrors() > 0, "client_errors")
	fail(r.Load.Served == 0, "requests_served")
	if r.Opts.Overload {
		fail(r.Load.OverBound > 0, "latency_over_bound")
	}
	for _, rr := range r.Replicas {
		fail(rr.PeakRSS > int64(r.Opts.MaxRSSMiB)<<10, "peak_rss_mib."+rr.Name)
		fail(notFlat(rr.Samples), "rss_second_half_mib."+rr.Name)
		fail(rr.GoroutinesBefore < 0 || rr.GoroutinesAfter < 0 ||
			rr.GoroutinesAfter-rr.GoroutinesBefore > r.Opts.GoroutineSlack, "goroutines_after."+rr.Name)
		fail(rr.Panics > 0, "panics."+rr.Name)
		fail(rr.Exit != nil, "exit."+rr.Name)
	}
	return out
}

// notFlat: the second half's peak RSS grew by more than half of the
// first's plus 16 MiB, the mark of memory that grows with the load's
// length rather than its rate.
func notFlat(s replicaSamples) bool {
	return s.FirstHalfRSS > 0 && s.SecondHalfRSS > s.FirstHalfRSS*3/2+16<<10
}

func (r report) budgetViolations() int {
	n := 0
	for _, b := range r.Budgets {
		n += b.Violations
	}
	return n
}

func (r report) unexpected5xx() int {
	n := 0
	for status, c := range r.Load.Statuses {
		if (outcome{Status: status}).unexpected5xx() {
			n += c
		}
	}
	return n
}

func (r report) clientErrors() int {
	n := 0
	for _, c := range r.Load.ClientErrors {
		n += c
	}
	return n
}

// print writes the report, one "name: value" line each, in the order the
// README's Soak section documents.
func (r report) print(w io.Writer) {
	p := func(name string, v any) { fmt.Fprintf(w, "%s: %v\n", name, v) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	mib := func(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

	p("mode", r.Opts.mode())
	p("load_duration", r.Opts.loadDuration())
	p("replicas", r.Opts.Replicas)
	p("tenants", numTenants)
	p("phonewagon_accounts", numPWAccounts)
	p("rate_per_tenant_per_s", fmt.Sprintf("%g", r.Opts.tenantRate()))
	p("inbound_limit_per_tenant_per_min", r.Opts.RateLimitPerMinute)
	p("seed", r.Seed)

	p("requests_served", r.Load.Served)
	p("requests_skipped", r.Load.Skipped)
	p("client_errors", r.clientErrors())
	for _, k := range slices.Sorted(maps.Keys(r.Load.ClientErrors)) {
		p("client_errors."+k, r.Load.ClientErrors[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.Load.Statuses)) {
		p(fmt.Sprintf("status.%d", k), r.Load.Statuses[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.Load.Slugs)) {
		p("errors."+k, r.Load.Slugs[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.Load.Cache)) {
		p("cache."+strings.ToLower(k), r.Load.Cache[k])
	}
	p("unexpected_5xx", r.unexpected5xx())
	p("latency_p50_ms", ms(r.Load.P50))
	p("latency_p99_ms", ms(r.Load.P99))
	p("latency_max_ms", ms(r.Load.Max))
	p("latency_bound_ms", ms(r.Opts.latencyBound()))
	p("latency_over_bound", r.Load.OverBound)
	for _, k := range slices.Sorted(maps.Keys(r.Load.AdmittedPeak)) {
		p("inbound_admitted_max_60s."+k, r.Load.AdmittedPeak[k])
	}

	p("logical_posts", r.Ledger.Logical)
	p("posts_sent_twice", r.Ledger.SentTwice)
	p("idempotent_replays", r.Ledger.Replays)
	p("replay_mismatches", r.Ledger.Mismatches)
	p("upstream_actions", r.Actions)
	p("duplicate_upstream_actions", r.Duplicates)
	p("lost_actions", len(r.Lost))

	p("upstream_requests.callwidget", r.CWRequests)
	p("upstream_requests.phonewagon", r.PWRequests)
	p("gateway_counted_upstream_requests.callwidget", r.GatewayCW)
	p("gateway_counted_upstream_requests.phonewagon", r.GatewayPW)
	for _, b := range r.Budgets {
		p("upstream_requests.phonewagon."+b.Account, b.Requests)
	}
	p("upstream_429.callwidget", r.CW429)
	p("upstream_429.phonewagon", r.PW429)
	p("upstream_429.phonewagon_rate_limiter", r.PWLimited)
	for _, b := range r.Budgets {
		p("max_in_60s.phonewagon."+b.Account, b.Peak)
	}
	for _, b := range r.Budgets {
		p("budget_violations."+b.Account, b.Violations)
	}
	p("budget_violations", r.budgetViolations())

	p("faults_injected", len(r.Faults))
	for i, f := range r.Faults {
		p(fmt.Sprintf("fault.%d", i+1), fmt.Sprintf("%s %s at %s", f.Upstream, f.Name, f.At))
	}

	for _, rr := range r.Replicas {
		p("peak_rss_mib."+rr.Name, mib(rr.PeakRSS))
		p("rss_first_half_mib."+rr.Name, mib(rr.Samples.FirstHalfRSS))
		p("rss_second_half_mib."+rr.Name, mib(rr.Samples.SecondHalfRSS))
		p("goroutines_before."+rr.Name, rr.GoroutinesBefore)
		p("goroutines_peak."+rr.Name, rr.Samples.PeakGoroutines)
		p("goroutines_after."+rr.Name, rr.GoroutinesAfter)
		p("log_errors."+rr.Name, rr.LogErrors)
		p("panics."+rr.Name, rr.Panics)
		exit := "ok"
		if rr.Exit != nil {
			exit = strings.ReplaceAll(rr.Exit.Error(), "\n", " ")
		}
		p("exit."+rr.Name, exit)
	}
	p("redis_keys_deleted", r.RedisKeys)

	if f := r.failures(); len(f) > 0 {
		p("result", "FAIL "+strings.Join(f, " "))
	} else {
		p("result", "PASS")
	}
}

// printDiagnostics writes the examples behind the figures, for a person
// reading why a run failed.
func (r report) printDiagnostics(w io.Writer) {
	for _, o := range r.Load.Slowest {
		fmt.Fprintf(w, "soak: slow: %s %s on %s for %s: %d %s\n", o.Latency.Round(time.Millisecond), o.Op, o.Replica, o.Tenant, o.Status, o.Slug)
	}
	for _, o := range r.Load.Odd {
		fmt.Fprintf(w, "soak: odd: %s on %s for %s: status %d err %v %s\n", o.Op, o.Replica, o.Tenant, o.Status, o.Err, o.Detail)
	}
	for _, s := range r.Ledger.Samples {
		fmt.Fprintf(w, "soak: replay mismatch: %s\n", s)
	}
	for _, b := range r.Budgets {
		for _, at := range b.ViolationTimes[:min(len(b.ViolationTimes), maxSamples)] {
			fmt.Fprintf(w, "soak: budget: %s over its budget at %s%s\n", b.Account, at.Sub(r.LoadStart).Round(time.Millisecond), r.faultAt(at))
		}
	}
	for _, m := range r.Lost[:min(len(r.Lost), maxSamples)] {
		fmt.Fprintf(w, "soak: lost: %s acknowledged but never performed upstream\n", m)
	}
}

// faultAt names the latest Phonewagon fault injected at t or ended within
// the 60 s before it, if any.
func (r report) faultAt(t time.Time) string {
	off := t.Sub(r.LoadStart)
	out := ""
	for _, f := range r.Faults {
		if f.Upstream == "phonewagon" && off >= f.At && off < f.At+r.Opts.FaultFor+time.Minute {
			out = fmt.Sprintf(" (%s %s started at %s)", f.Upstream, f.Name, f.At)
		}
	}
	return out
}
