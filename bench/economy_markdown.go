package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"switchboard/internal/mirror"
)

// writeEconomy renders the economy runs: what the apps do, then the
// client and upstream sides of each run.
func (rep *report) writeEconomy(b *strings.Builder) {
	runs := rep.Economy
	fmt.Fprintf(b, "Upstream economy: %d callers (each a token with its own `sub`) on %d replicas sharing one Redis; each caller is\n", economyCallers, economyReplicas)
	b.WriteString("a tenant of its own with a CallWidget login and a Phonewagon account, but in company and shared (below); accounts\n")
	fmt.Fprintf(b, "have budget_per_minute %d (the simulator enforces Phonewagon's own 50 a minute), upstreams +%v.\n",
		economyBudget, economyLatency)
	b.WriteString("Every app starts at a seeded offset and draws its choices from a seeded generator, so each run asks the same\n")
	b.WriteString("shape of requests. Per caller:\n\n")
	fmt.Fprintf(b, "- **dashboards** (the workload as before): %d dashboards, each every %v: `/v1/calls?limit=25`, its next page by\n", economyDashboards, economyDashEvery)
	b.WriteString("  `next_cursor`, `/v1/tags`, `/v1/departments`.\n")
	fmt.Fprintf(b, "- **apps**: the dashboards, plus %d report apps, each running a report every %v as a person in a reporting\n", economyReporters, economyReportEvery)
	b.WriteString("  tool would: `/v1/companies`, that company's `/v1/campaigns?company_id=`, then `/v1/calls?limit=")
	fmt.Fprintf(b, "%d` over whole days\n", economyReportLimit)
	fmt.Fprintf(b, "  (`since` midnight UTC 1–%d days ago; half the reports also set `until` at a later midnight), unfiltered, by the\n", economyReportDays)
	fmt.Fprintf(b, "  company or by one of its campaigns (a third each), following `next_cursor` for up to %d pages; and one export\n", economyReportPages)
	fmt.Fprintf(b, "  every %v of one whole day within the last %d (`/v1/calls/export?since=&until=`, NDJSON read to the end).\n", economyExportEvery, economyReportDays)
	company := workloadOf(workloadCompany)
	fmt.Fprintf(b, "- **company**: the apps workload, the same apps and rates per caller, from %d companies that each connect %d\n", company.Tenants(), company.CallersPerTenant)
	b.WriteString("  apps: one tenant per company (its CallWidget login, its Phonewagon account, its budget and mirror, its response\n")
	fmt.Fprintf(b, "  cache), whose apps are callers with their own `sub` (SPEC §2); `rate_limit_per_minute: %d`, the default for each app.\n", company.RateLimit())
	shared := workloadOf(workloadShared)
	fmt.Fprintf(b, "- **shared** (when asked for with `-economy-workloads`): the apps workload from %d tenants that are %d apps of each of\n", shared.Tenants(), shared.TenantsPerAccount)
	fmt.Fprintf(b, "  %d companies: a company's tenants name the same CallWidget login and the same Phonewagon `client_id` and secret,\n", shared.Accounts())
	b.WriteString("  so they share its CallWidget token, its budget and its mirror (one syncer), while each keeps its own response\n")
	b.WriteString("  cache (tenants are isolated: nothing cached for one is served to another).\n\n")
	b.WriteString(economyWindowsText(rep.Options))
	b.WriteString("With the mirror on, every account keeps a mirror with default settings and the apps start once every mirror\n")
	b.WriteString("is backfilled (those requests are not in the tables; see below). Upstream requests are counted at the simulators,\n")
	b.WriteString("by path; the mirror's own sync requests are the replicas' `switchboard_mirror_sync_requests_total` over the\n")
	b.WriteString("window (not refused by the budget's background lane), and are part of the upstream total.\n\n")

	b.WriteString("| workload | tenants | accounts | mirror | window | client requests | client 2xx | client p50 | client p99 | upstream requests | served per upstream request | upstream 429s | X-Cache: MIRROR |\n")
	b.WriteString("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, e := range runs {
		c := e.Client.Total()
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %d | %s | %s | %s | %d (Phonewagon %d, CallWidget %d) | %.1f | %d | %d |\n",
			e.Workload, e.Tenants, e.Accounts, onOff(e.Mirror), windowLabel(e), c.Requests, share(c), fmtDuration(c.P50), fmtDuration(c.P99),
			e.UpstreamTotal, e.Upstream["Phonewagon"], e.Upstream["CallWidget"], e.ServedPerUpstream(), e.Upstream429, c.Mirrored)
	}

	b.WriteString("\nUpstream requests by kind (the mirror's sync requests are among the Phonewagon calls pages):\n\n")
	b.WriteString("| workload | mirror | window |")
	for _, k := range upstreamKinds() {
		fmt.Fprintf(b, " %s |", k)
	}
	b.WriteString(" mirror's own: follow / revisit / backfill (refused) | calls pages for callers |\n|---|---|---|")
	b.WriteString(strings.Repeat("---:|", len(upstreamKinds())+2) + "\n")
	for _, e := range runs {
		fmt.Fprintf(b, "| %s | %s | %s |", e.Workload, onOff(e.Mirror), e.Window)
		for _, k := range upstreamKinds() {
			fmt.Fprintf(b, " %d |", e.UpstreamKinds[k])
		}
		sync, callers := "–", e.UpstreamKinds[kindCalls]
		if e.Mirror {
			sync = fmt.Sprintf("%d / %d / %d (%d)", e.Sync[mirror.KindFollow], e.Sync[mirror.KindRevisit], e.Sync[mirror.KindBackfill], e.SyncRefused)
			for _, n := range e.Sync {
				callers -= n
			}
		}
		fmt.Fprintf(b, " %s | %d |\n", sync, callers)
	}

	b.WriteString("\nClient requests by app:\n\n")
	b.WriteString("| workload | mirror | window | app | requests | 2xx | other answers | p50 | p99 | X-Cache: MIRROR |\n")
	b.WriteString("|---|---|---|---|---:|---:|---|---:|---:|---:|\n")
	for _, e := range runs {
		for _, app := range []string{appDashboard, appReport, appExport} {
			s, ok := e.Client.ByApp[app]
			if !ok {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %s | %s | %s | %s | %d |\n", e.Workload, onOff(e.Mirror), e.Window, app,
				s.Requests, share(s), otherStatuses(s), fmtDuration(s.P50), fmtDuration(s.P99), s.Mirrored)
		}
	}
	for _, e := range runs {
		if e.Mirror && e.Window == windowCold {
			fmt.Fprintf(b, "\nMirror on, %s: every account's mirror was backfilled in %s with %d upstream requests before the window.\n",
				e.Workload, e.BackfillTook.Round(time.Second), e.Backfill)
		}
	}
}

// economyWindowsText says what the windows of the tables count.
func economyWindowsText(o options) string {
	var b strings.Builder
	for _, w := range economyWindows(o) {
		switch w.Name {
		case windowCold:
			fmt.Fprintf(&b, "The **cold** window is the first %v of the apps, from an empty cache and before any CallWidget login: every\n", w.To-w.From)
			b.WriteString("first fill (logins, lookups, company and campaign lists, call pages) is in it.\n")
		case windowSteady:
			fmt.Fprintf(&b, "The **steady** window is the %v after a warm-up of %v, in the same run: the workload runs unchanged\n", w.To-w.From, w.From)
			b.WriteString("through the warm-up, which is not counted, so the window counts what a deployment that has been up a while\n")
			b.WriteString("pays: the follows and revisits, the call pages that expired (30 s), and the refills of lookups, company and\n")
			b.WriteString("campaign lists once their 5 minutes ran out (only a window of 5 minutes or more holds them at their real rate);\n")
			b.WriteString("CallWidget tokens live an hour, so a shorter window holds none of their refreshes (one per login an hour).\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// windowLabel renders a figure's window with its bounds.
func windowLabel(e economyFigures) string {
	return fmt.Sprintf("%s (%v–%v)", e.Window, e.Start, e.Start+e.Duration)
}

// onOff renders the mirror setting of a run.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// share is the 2xx count and share of s, with the requests that got no
// whole answer.
func share(s appStats) string {
	if s.Requests == 0 {
		return "–"
	}
	out := fmt.Sprintf("%d (%.1f%%)", s.OK, 100*float64(s.OK)/float64(s.Requests))
	if s.Failed > 0 {
		out += fmt.Sprintf(", %d without a whole answer", s.Failed)
	}
	return out
}

// otherStatuses lists the non-2xx statuses of s with their counts.
func otherStatuses(s appStats) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(s.Status)) {
		if code/100 != 2 {
			parts = append(parts, fmt.Sprintf("%d × %d", s.Status[code], code))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
