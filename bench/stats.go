package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// summary is the median of several wrk runs of one row.
type summary struct {
	RPS      float64
	P50, P99 time.Duration
	Failures int64 // summed over the runs
	Runs     int
}

// summarize takes the median of each figure separately, as the issue asks
// ("medians reported"); the three medians may come from different runs.
func summarize(runs []wrkResult) summary {
	rps := make([]float64, len(runs))
	p50 := make([]time.Duration, len(runs))
	p99 := make([]time.Duration, len(runs))
	var failures int64
	for i, r := range runs {
		rps[i], p50[i], p99[i] = r.RPS(), r.P50, r.P99
		failures += r.Failures()
	}
	return summary{RPS: median(rps), P50: median(p50), P99: median(p99), Failures: failures, Runs: len(runs)}
}

// fmtDuration renders a latency with three significant figures in the unit
// that suits it.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// fmtMiB renders bytes in MiB with one decimal.
func fmtMiB(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// percentile returns the nearest-rank p-quantile (0 < p ≤ 1) of ds: the
// smallest value at or above which p of the values lie; 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}
