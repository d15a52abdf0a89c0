package main

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// windowExcess looks at arrival times (in any order) through a sliding
// window: excess is how many arrivals found more than limit arrivals,
// themselves included, in the window ending at them (0 when limit is 0),
// and peak is the most arrivals any window held. Two arrivals are in one
// window when they are less than window apart, as in the simulator's own
// limiter.
func windowExcess(times []time.Time, window time.Duration, limit int) (excess, peak int) {
	excess, peak, _ = windowExcessAt(times, window, limit)
	return excess, peak
}

// windowExcessAt is windowExcess that also returns the arrival times in
// excess, oldest first.
func windowExcessAt(times []time.Time, window time.Duration, limit int) (excess, peak int, at []time.Time) {
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	i := 0
	for j := range sorted {
		for sorted[j].Sub(sorted[i]) >= window {
			i++
		}
		n := j - i + 1
		peak = max(peak, n)
		if limit > 0 && n > limit {
			excess++
			at = append(at, sorted[j])
		}
	}
	return excess, peak, at
}

// budgetCheck is one Phonewagon account's traffic as the simulator saw it.
type budgetCheck struct {
	Account    string
	Requests   int
	Violations int // arrivals over the budget in their 60 s window
	Peak       int // the most arrivals in any 60 s window
	// ViolationTimes are the arrivals over the budget, oldest first.
	ViolationTimes []time.Time
}

// checkBudgets computes every account's budgetCheck from the simulator's
// request log, faulted requests included: the gateway sent them.
func checkBudgets(reqs []phonewagonsim.Request, accounts []string, budget int) []budgetCheck {
	byAccount := map[string][]time.Time{}
	for _, r := range reqs {
		byAccount[r.ClientID] = append(byAccount[r.ClientID], r.Time)
	}
	out := make([]budgetCheck, 0, len(accounts))
	for _, a := range accounts {
		v, peak, at := windowExcessAt(byAccount[a], time.Minute, budget)
		out = append(out, budgetCheck{Account: a, Requests: len(byAccount[a]), Violations: v, Peak: peak, ViolationTimes: at})
	}
	return out
}

// actionTally counts, per marker, the actions the CallWidget simulator
// performed: recorded actions it answered with a 2xx. Actions without one
// of this run's markers are ignored.
func actionTally(acts []callwidgetsim.Action, markerPrefix string) map[string]int {
	out := map[string]int{}
	for _, a := range acts {
		if a.Status < 200 || a.Status > 299 {
			continue
		}
		if m := markerOf(a.Fields, markerPrefix); m != "" {
			out[m]++
		}
	}
	return out
}

// markerOf finds the marker a logical POST carries: the message of a text,
// the first name of a contact.
func markerOf(fields map[string]any, prefix string) string {
	for _, k := range []string{"message", "first_name"} {
		if v, _ := fields[k].(string); strings.HasPrefix(v, prefix) {
			return v
		}
	}
	return ""
}

// duplicates is how many upstream actions repeat one already performed.
func duplicates(tally map[string]int) int {
	n := 0
	for _, c := range tally {
		n += max(0, c-1)
	}
	return n
}

// splitDuplicates is duplicates of the markers outside across, and of
// those in it (keys sent twice across the Redis restart).
func splitDuplicates(tally map[string]int, across map[string]bool) (outside, inside int) {
	for m, c := range tally {
		if across[m] {
			inside += max(0, c-1)
		} else {
			outside += max(0, c-1)
		}
	}
	return outside, inside
}

// lost lists the acknowledged markers the upstream never performed.
func lost(acknowledged []string, tally map[string]int) []string {
	var out []string
	for _, m := range acknowledged {
		if tally[m] == 0 {
			out = append(out, m)
		}
	}
	return out
}

// clientErrorKind names a transport failure for the report.
func clientErrorKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case strings.Contains(err.Error(), "EOF"):
		return "eof"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}
