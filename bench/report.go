package main

import (
	"fmt"
	"strings"
	"time"
)

// report is everything a run measured.
type report struct {
	Machine machine
	Options options
	Began   time.Time
	Elapsed time.Duration
	Redis   string // which Redis served the Redis rows
	Micro   microResults
	Load    map[rowKey][]wrkResult
	Memory  memoryFigures
	Economy economyFigures
	// EconomyMirror is the same workload with every account mirrored;
	// zero when it did not run.
	EconomyMirror economyFigures
	Events        eventFigures // zero when the event-delay run did not run
	Notes         []string
}

// Limits of the targets.
const (
	targetHitMemRatio     = 0.45
	targetHitMemP99       = 2 * time.Millisecond
	targetHitRedisRatio   = 0.35
	targetMissP99Over     = time.Millisecond
	targetAllocs          = 25
	targetExportGrowth    = 10 << 20
	targetIdleRSS         = 30 << 20
	targetLoadedRSS       = 80 << 20
	targetConnsForRatio   = 64
	targetConnsForLatency = 8
	cacheHitBenchmark     = "BenchmarkCacheHit/memory"
)

// loadRow is one summarized row of the load table.
type loadRow struct {
	Key      rowKey
	Info     rowInfo
	Sum      summary
	Ratio    float64       // req/s over the baseline's, 0 when there is none
	P99Delta time.Duration // p99 minus the baseline's p99
}

// loadRows summarizes the load matrix in table order.
func (rep *report) loadRows() []loadRow {
	var out []loadRow
	info := rows()
	for _, row := range rowOrder() {
		for _, conns := range rep.Options.Conns {
			k := rowKey{row, conns}
			runs, ok := rep.Load[k]
			if !ok {
				continue
			}
			lr := loadRow{Key: k, Info: info[row], Sum: summarize(runs)}
			if base, ok := rep.Load[rowKey{info[row].Baseline, conns}]; ok {
				lr.Ratio, lr.P99Delta = paired(runs, base)
			}
			out = append(out, lr)
		}
	}
	return out
}

// paired compares runs with the baseline runs of the same repetitions:
// the median of the per-repetition req/s ratios and p99 differences. Runs
// of one repetition ran within a minute of each other, so pairing them
// cancels most of a shared machine's slow and fast minutes.
func paired(runs, base []wrkResult) (ratio float64, p99Delta time.Duration) {
	n := min(len(runs), len(base))
	ratios := make([]float64, 0, n)
	deltas := make([]time.Duration, 0, n)
	for i := range n {
		if base[i].RPS() > 0 {
			ratios = append(ratios, runs[i].RPS()/base[i].RPS())
		}
		deltas = append(deltas, runs[i].P99-base[i].P99)
	}
	return median(ratios), median(deltas)
}

// findRow returns the summarized row, if it ran.
func findRow(rows []loadRow, row string, conns int) (loadRow, bool) {
	for _, r := range rows {
		if r.Key == (rowKey{row, conns}) {
			return r, true
		}
	}
	return loadRow{}, false
}

// target is one line of the targets table.
type target struct {
	What     string
	Measured string
	Met      bool
	Ran      bool
	Miss     string // by how much, when missed
}

// targets evaluates the targets against what ran.
func (rep *report) targets() []target {
	rows := rep.loadRows()
	var out []target
	ratio := func(row string, limit float64, what string) {
		t := target{What: what}
		if r, ok := findRow(rows, row, targetConnsForRatio); ok {
			t.Ran, t.Measured = true, fmt.Sprintf("%.2f × (%.0f req/s)", r.Ratio, r.Sum.RPS)
			t.Met = r.Ratio >= limit
			t.Miss = fmt.Sprintf("%.2f short (%.0f%% of the target)", limit-r.Ratio, 100*r.Ratio/limit)
		}
		out = append(out, t)
	}
	ratio(rowHitMem, targetHitMemRatio, fmt.Sprintf("cache hit, in-memory: ≥ %.2f × baseline req/s at %d connections", targetHitMemRatio, targetConnsForRatio))

	t := target{What: fmt.Sprintf("cache hit, in-memory: p99 ≤ %s at %d connections", fmtDuration(targetHitMemP99), targetConnsForLatency)}
	if r, ok := findRow(rows, rowHitMem, targetConnsForLatency); ok {
		t.Ran, t.Measured, t.Met = true, fmtDuration(r.Sum.P99), r.Sum.P99 <= targetHitMemP99
		t.Miss = fmtDuration(r.Sum.P99-targetHitMemP99) + " over"
	}
	out = append(out, t)

	ratio(rowHitRedis, targetHitRedisRatio, fmt.Sprintf("cache hit, Redis: ≥ %.2f × baseline req/s at %d connections", targetHitRedisRatio, targetConnsForRatio))

	t = target{What: fmt.Sprintf("cache miss: p99 ≤ direct upstream p99 + %s at %d connections", fmtDuration(targetMissP99Over), targetConnsForLatency)}
	if r, ok := findRow(rows, rowMiss, targetConnsForLatency); ok {
		t.Ran, t.Measured, t.Met = true, "+"+fmtDuration(r.P99Delta)+" ("+fmtDuration(r.Sum.P99)+")", r.P99Delta <= targetMissP99Over
		t.Miss = fmtDuration(r.P99Delta-targetMissP99Over) + " over"
	}
	out = append(out, t)

	t = target{What: fmt.Sprintf("≤ %d allocations per cache-hit request (%s)", targetAllocs, cacheHitBenchmark)}
	if m, ok := rep.Micro.find(cacheHitBenchmark); ok {
		t.Ran, t.Measured, t.Met = true, fmt.Sprintf("%d allocs/op", m.AllocsPerOp), m.AllocsPerOp <= targetAllocs
		t.Miss = fmt.Sprintf("%d over", m.AllocsPerOp-targetAllocs)
	}
	out = append(out, t)

	t = target{What: "export: peak RSS with 10× the dataset within 10 MiB of 1×"}
	if ex := rep.Memory.Exports; len(ex) == 2 {
		growth := ex[1].Mem.HWM - ex[0].Mem.HWM
		t.Ran, t.Met = true, growth <= targetExportGrowth
		t.Measured = fmt.Sprintf("%+.1f MiB (1×: %s, 10×: %s)", float64(growth)/(1<<20), fmtMiB(ex[0].Mem.HWM), fmtMiB(ex[1].Mem.HWM))
		t.Miss = fmtMiB(growth-targetExportGrowth) + " over"
	}
	out = append(out, t)

	t = target{What: "idle RSS ≤ 30 MiB"}
	if m := rep.Memory.Idle; m.RSS > 0 {
		t.Ran, t.Measured, t.Met, t.Miss = true, fmtMiB(m.RSS), m.RSS <= targetIdleRSS, fmtMiB(m.RSS-targetIdleRSS)+" over"
	}
	out = append(out, t)

	t = target{What: fmt.Sprintf("RSS ≤ 80 MiB serving %d connections (peak)", manyConns)}
	if m := rep.Memory.Loaded; m.HWM > 0 {
		peak := max(m.HWM, m.RSS)
		t.Ran, t.Measured, t.Met, t.Miss = true, fmtMiB(peak), peak <= targetLoadedRSS, fmtMiB(peak-targetLoadedRSS)+" over"
	}
	out = append(out, t)

	t = target{What: "upstream economy: no upstream 429"}
	if e := rep.Economy; e.Duration > 0 {
		t.Ran, t.Measured, t.Met, t.Miss = true, fmt.Sprintf("%d", e.Upstream429), e.Upstream429 == 0, fmt.Sprintf("%d 429s", e.Upstream429)
	}
	out = append(out, t)
	return out
}

// table is the summary printed at the end of make bench: the load rows,
// the targets, memory and economy, as Markdown.
func (rep *report) table() string {
	var b strings.Builder
	rep.writeLoad(&b)
	b.WriteString("\n")
	rep.writeTargets(&b)
	b.WriteString("\n")
	rep.writeMemory(&b)
	if rep.Economy.Duration > 0 {
		b.WriteString("\n")
		rep.writeEconomy(&b)
	}
	if rep.Events.Duration > 0 {
		b.WriteString("\n")
		rep.writeEvents(&b)
	}
	return b.String()
}

func (rep *report) writeLoad(b *strings.Builder) {
	fmt.Fprintf(b, "Load: wrk on 127.0.0.1, server pinned to CPU %d, wrk to CPU %d, %v per run, median of %d interleaved runs.\n\n",
		serverCPU, loadCPU, rep.Options.Duration, rep.Options.Reps)
	b.WriteString("| row | conns | req/s | p50 | p99 | ratio | p99 vs baseline | failed |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.loadRows() {
		delta := "–"
		if r.Key.Row != r.Info.Baseline {
			delta = "+" + fmtDuration(r.P99Delta)
			if r.P99Delta < 0 {
				delta = "−" + fmtDuration(-r.P99Delta)
			}
		}
		fmt.Fprintf(b, "| (%s) %s | %d | %.0f | %s | %s | %.2f × (%s) | %s | %d |\n",
			r.Key.Row, r.Info.Title, r.Key.Conns, r.Sum.RPS, fmtDuration(r.Sum.P50), fmtDuration(r.Sum.P99),
			r.Ratio, r.Info.Baseline, delta, r.Sum.Failures)
	}
}

func (rep *report) writeTargets(b *strings.Builder) {
	b.WriteString("| target | measured | result |\n|---|---|---|\n")
	for _, t := range rep.targets() {
		result := "not run"
		switch {
		case t.Ran && t.Met:
			result = "**met**"
		case t.Ran:
			result = "**missed**: " + t.Miss
		}
		measured := t.Measured
		if measured == "" {
			measured = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", t.What, measured, result)
	}
}

func (rep *report) writeMemory(b *strings.Builder) {
	m := rep.Memory
	if m.Idle.RSS == 0 {
		return
	}
	b.WriteString("| memory (gateway, in-memory stores) | VmRSS | VmHWM (peak) |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| idle, after start-up and one cache fill | %s | %s |\n", fmtMiB(m.Idle.RSS), fmtMiB(m.Idle.HWM))
	fmt.Fprintf(b, "| serving %d connections (cache hits, %.0f req/s; VmRSS = highest sample) | %s | %s |\n",
		manyConns, m.LoadedRPS, fmtMiB(m.Loaded.RSS), fmtMiB(m.Loaded.HWM))
	for _, e := range m.Exports {
		fmt.Fprintf(b, "| GET /v1/calls/export, %d calls (%.1f MB in %s), fresh gateway at %s before | %s | %s |\n",
			e.Calls, float64(e.Bytes)/1e6, e.Took.Round(time.Millisecond), fmtMiB(e.Baseline.RSS), fmtMiB(e.Mem.RSS), fmtMiB(e.Mem.HWM))
	}
}

func (rep *report) writeEconomy(b *strings.Builder) {
	e := rep.Economy
	fmt.Fprintf(b, "Upstream economy: %d tenants × %d dashboards polling every %v for %v, %d replicas on one Redis, Phonewagon budget %d/min per account.\n\n",
		economyTenants, economyApps, economyEvery, e.Duration, economyReplicas, e.PerTenantBudget)
	b.WriteString("| mirror | client requests served | upstream requests | served per upstream request | upstream 429s | client answers 2xx | X-Cache: MIRROR |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	writeEconomyLine(b, e)
	if rep.EconomyMirror.Duration > 0 {
		writeEconomyLine(b, rep.EconomyMirror)
		m := rep.EconomyMirror
		fmt.Fprintf(b, "\nWith the mirror on, the dashboards started once every account's mirror was backfilled (%s, %d upstream\n",
			m.BackfillTook.Round(time.Second), m.Backfill)
		b.WriteString("requests before the window, not in the table); the upstream requests of the window include the mirror's own\n")
		b.WriteString("follows and revisits.\n")
	}
}

// writeEconomyLine is one line of the economy table.
func writeEconomyLine(b *strings.Builder, e economyFigures) {
	per, share := 0.0, 0.0
	if e.UpstreamTotal > 0 {
		per = float64(e.ClientRequests) / float64(e.UpstreamTotal)
	}
	if e.ClientRequests > 0 {
		share = 100 * float64(e.Client2xx) / float64(e.ClientRequests)
	}
	errs := ""
	if e.ClientErrors > 0 {
		errs = fmt.Sprintf(" (%d without an answer)", e.ClientErrors)
	}
	mirror := "off"
	if e.Mirror {
		mirror = "on"
	}
	fmt.Fprintf(b, "| %s | %d | %d (Phonewagon %d, CallWidget %d) | %.1f | %d | %.1f%%%s | %d |\n",
		mirror, e.ClientRequests, e.UpstreamTotal, e.Upstream["Phonewagon"], e.Upstream["CallWidget"], per, e.Upstream429, share, errs, e.Mirrored)
}

func (rep *report) writeEvents(b *strings.Builder) {
	e := rep.Events
	fmt.Fprintf(b, "Event delay: a live Phonewagon account (a call every ~%v), mirror sync_interval %s, in-memory stores, webhook\n", eventArrivalEvery, eventSyncInterval)
	fmt.Fprintf(b, "endpoint in the bench process, %v. Delay = webhook receive time − the call's `started_at` (whole seconds; the\n", e.Duration)
	b.WriteString("simulator shows a live call from its start time on, so this is when it appeared upstream).\n\n")
	b.WriteString("| live calls delivered (call.created) | live calls shown upstream by the end | median | p99 | min | max |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(b, "| %d | %d | %s | %s | %s | %s |\n", e.Delivered, e.Arrived, fmtDuration(e.Median), fmtDuration(e.P99), fmtDuration(e.Min), fmtDuration(e.Max))
}
