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
	fmt.Fprintf(b, "Upstream economy: %d tenants on %d replicas sharing one Redis, each tenant a CallWidget login and a Phonewagon\n", economyTenants, economyReplicas)
	fmt.Fprintf(b, "account (budget_per_minute %d; the simulator enforces Phonewagon's own 50 a minute), upstreams +%v, %v per run.\n",
		economyBudget, economyLatency, runs[0].Duration)
	b.WriteString("Every app starts at a seeded offset and draws its choices from a seeded generator, so each run asks the same\n")
	b.WriteString("shape of requests. Per tenant:\n\n")
	fmt.Fprintf(b, "- **dashboards** (the workload as before): %d dashboards, each every %v: `/v1/calls?limit=25`, its next page by\n", economyDashboards, economyDashEvery)
	b.WriteString("  `next_cursor`, `/v1/tags`, `/v1/departments`.\n")
	fmt.Fprintf(b, "- **apps**: the dashboards, plus %d report apps, each running a report every %v as a person in a reporting\n", economyReporters, economyReportEvery)
	b.WriteString("  tool would: `/v1/companies`, that company's `/v1/campaigns?company_id=`, then `/v1/calls?limit=")
	fmt.Fprintf(b, "%d` over whole days\n", economyReportLimit)
	fmt.Fprintf(b, "  (`since` midnight UTC 1–%d days ago; half the reports also set `until` at a later midnight), unfiltered, by the\n", economyReportDays)
	fmt.Fprintf(b, "  company or by one of its campaigns (a third each), following `next_cursor` for up to %d pages; and one export\n", economyReportPages)
	fmt.Fprintf(b, "  every %v of one whole day within the last %d (`/v1/calls/export?since=&until=`, NDJSON read to the end).\n\n", economyExportEvery, economyReportDays)
	b.WriteString("With the mirror on, every account keeps a mirror with default settings and the apps start once every mirror\n")
	b.WriteString("is backfilled (those requests are not in the tables; see below). Upstream requests are counted at the simulators,\n")
	b.WriteString("by path; the mirror's own sync requests are the replicas' `switchboard_mirror_sync_requests_total` over the\n")
	b.WriteString("window (not refused by the budget's background lane), and are part of the upstream total.\n\n")

	b.WriteString("| workload | mirror | client requests | client 2xx | client p50 | client p99 | upstream requests | served per upstream request | upstream 429s | X-Cache: MIRROR |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, e := range runs {
		c := e.Client.Total()
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s | %d (Phonewagon %d, CallWidget %d) | %.1f | %d | %d |\n",
			e.Workload, onOff(e.Mirror), c.Requests, share(c), fmtDuration(c.P50), fmtDuration(c.P99),
			e.UpstreamTotal, e.Upstream["Phonewagon"], e.Upstream["CallWidget"], e.ServedPerUpstream(), e.Upstream429, c.Mirrored)
	}

	b.WriteString("\nUpstream requests by kind (the mirror's sync requests are among the Phonewagon calls pages):\n\n")
	b.WriteString("| workload | mirror |")
	for _, k := range upstreamKinds() {
		fmt.Fprintf(b, " %s |", k)
	}
	b.WriteString(" mirror's own: follow / revisit / backfill (refused) | calls pages for callers |\n|---|---|")
	b.WriteString(strings.Repeat("---:|", len(upstreamKinds())+2) + "\n")
	for _, e := range runs {
		fmt.Fprintf(b, "| %s | %s |", e.Workload, onOff(e.Mirror))
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
	b.WriteString("| workload | mirror | app | requests | 2xx | other answers | p50 | p99 | X-Cache: MIRROR |\n")
	b.WriteString("|---|---|---|---:|---:|---|---:|---:|---:|\n")
	for _, e := range runs {
		for _, app := range []string{appDashboard, appReport, appExport} {
			s, ok := e.Client.ByApp[app]
			if !ok {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s | %s | %s | %d |\n", e.Workload, onOff(e.Mirror), app,
				s.Requests, share(s), otherStatuses(s), fmtDuration(s.P50), fmtDuration(s.P99), s.Mirrored)
		}
	}
	for _, e := range runs {
		if e.Mirror {
			fmt.Fprintf(b, "\nMirror on, %s: every account's mirror was backfilled in %s with %d upstream requests before the window.\n",
				e.Workload, e.BackfillTook.Round(time.Second), e.Backfill)
		}
	}
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
