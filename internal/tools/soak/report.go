package main

import (
	"cmp"
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
	// DuplicatesAcrossRestart are duplicate actions of keys sent again
	// across the empty Redis restart, which lost their records.
	DuplicatesAcrossRestart int
	Lost                    []string
	CWRequests              int
	PWRequests              int
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
	// The soak's mirror, events and disruptions (empty in overload).
	Disrupt *disruptions
	Mirror  []mirrorCheck
	Sync    syncSummary
	Events  eventsReport
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
	if !r.Opts.Overload && r.Disrupt != nil {
		fail(r.Disrupt.RedisErr != "", "redis_restart")
		fail(r.Disrupt.KillErr != "", "replica_restart")
		for _, m := range r.Mirror {
			fail(m.failed(), "mirror."+m.Account)
		}
		out = append(out, r.Events.failures()...)
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
	p("duplicate_upstream_actions_across_redis_restart", r.DuplicatesAcrossRestart)
	p("replay_mismatches_across_redis_restart", r.Ledger.MismatchesAcrossRestart)
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

	if !r.Opts.Overload && r.Disrupt != nil {
		r.printSoakExtras(p)
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
	if !r.Opts.Overload && r.Disrupt != nil {
		r.printChecks(p)
	}

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
	for _, m := range r.Mirror {
		for _, e := range m.Examples {
			fmt.Fprintf(w, "soak: mirror: %s\n", e)
		}
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

// printSoakExtras writes the disruptions, the mirrors, the sync lag and
// the events.
func (r report) printSoakExtras(p func(string, any)) {
	d := r.Disrupt
	at := func(t time.Time) string {
		if t.IsZero() {
			return "none"
		}
		return t.Sub(r.LoadStart).Round(100 * time.Millisecond).String()
	}
	p("redis_restart_at", at(d.RedisStop))
	if !d.RedisStop.IsZero() {
		p("redis_restart_down_for", d.RedisUp.Sub(d.RedisStop).Round(time.Millisecond))
	}
	p("replica_killed", cmp.Or(d.KilledName, "none"))
	p("replica_killed_at", at(d.Kill))
	if !d.Kill.IsZero() {
		p("replica_restarted_after", d.KillUp.Sub(d.Kill).Round(time.Millisecond))
	}
	p("client_errors_in_flight_on_killed_replica", r.Load.KilledErrors)

	for _, m := range r.Mirror {
		k := "mirror." + m.Account + "."
		p(k+"simulator_calls", m.SimulatorCalls)
		p(k+"mirror_calls", m.MirrorCalls)
		p(k+"caught_up", m.CaughtUp)
		p(k+"missing", m.Missing)
		p(k+"duplicated", m.Duplicated)
		p(k+"extra", m.Extra)
		p(k+"stale", m.Stale)
		p(k+"pages_not_from_mirror", m.NotMirror)
		if m.Err != "" {
			p(k+"error", m.Err)
		}
	}
	p("sync_lag_samples", r.Sync.Samples)
	p("sync_lag_sample_failures", r.Sync.Failures)
	for _, k := range slices.Sorted(maps.Keys(r.Sync.States)) {
		p("sync_states."+k, r.Sync.States[k])
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }
	p("sync_lag_p50_s", secs(r.Sync.P50))
	p("sync_lag_p99_s", secs(r.Sync.P99))
	p("sync_lag_max_s", secs(r.Sync.Max))

	p("events_expected_set", r.Events.describe())
	for _, l := range r.Events.Logs {
		p("events_log."+l.Account, len(l.Events))
		p("events_lost_with_redis_restart."+l.Account, len(l.BeforeRestart))
		p("events_unknown_calls."+l.Account, l.UnknownCalls)
		p("events_log_out_of_order."+l.Account, l.OutOfOrder)
		if l.Err != "" {
			p("events_log_error."+l.Account, l.Err)
		}
	}
	p("events_drained", r.Events.Drained)
	p("events_drain_s", secs(r.Events.DrainFor))
	for _, s := range r.Events.SSE {
		k := "sse." + s.Name + "."
		p(k+"expected", s.Expected)
		p(k+"received", s.Received)
		p(k+"missed", s.Missed)
		p(k+"duplicates", s.Duplicates)
		p(k+"out_of_order", s.OutOfOrder)
		p(k+"connects", s.Connects)
		p(k+"received_of_lost_with_restart", s.BeforeRestart)
		for _, c := range slices.Sorted(maps.Keys(s.Statuses)) {
			p(fmt.Sprintf("%sstatus.%d", k, c), s.Statuses[c])
		}
	}
	for _, w := range r.Events.Webhooks {
		k := "webhook." + w.Name + "."
		p(k+"expected", w.Expected)
		p(k+"delivered", w.Delivered)
		p(k+"missed", w.Missed)
		p(k+"attempts", w.Attempts)
		p(k+"failed_on_purpose", w.Failed)
		p(k+"duplicates", w.Duplicates)
		p(k+"duplicates_after_kill", w.DuplicatesAfterKill)
		p(k+"bad_signatures", w.BadSignatures)
		p(k+"bad_bodies", w.BadBodies)
		p(k+"wrong_type", w.WrongType)
		p(k+"received_of_lost_with_restart", w.BeforeRestart)
	}
}

// soakTotals are the required zeros of the soak's additions, summed.
func (r report) soakTotals() []struct {
	Name string
	N    int
} {
	var missing, dup, extra, stale, sseMissed, sseDup, sseOrder, whMissed, whDup, whSig int
	for _, m := range r.Mirror {
		missing += m.Missing
		dup += m.Duplicated
		extra += m.Extra
		stale += m.Stale
	}
	for _, s := range r.Events.SSE {
		sseMissed += s.Missed
		sseDup += s.Duplicates
		sseOrder += s.OutOfOrder
	}
	for _, w := range r.Events.Webhooks {
		whMissed += w.Missed
		whDup += w.Duplicates
		whSig += w.BadSignatures + w.BadBodies + w.WrongType
	}
	return []struct {
		Name string
		N    int
	}{
		{"mirror_missing", missing}, {"mirror_duplicated", dup}, {"mirror_extra", extra}, {"mirror_stale", stale},
		{"sse_missed", sseMissed}, {"sse_duplicates", sseDup}, {"sse_out_of_order", sseOrder},
		{"webhook_missed", whMissed}, {"webhook_duplicates", whDup}, {"webhook_bad_deliveries", whSig},
	}
}

// printChecks writes each required zero of the soak's additions as
// "check.<name>: <n> PASS|FAIL".
func (r report) printChecks(p func(string, any)) {
	for _, t := range r.soakTotals() {
		verdict := "PASS"
		if t.N != 0 {
			verdict = "FAIL"
		}
		p("check."+t.Name, fmt.Sprintf("%d %s", t.N, verdict))
	}
}
