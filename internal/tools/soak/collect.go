package main

import (
	"context"
	"time"
)

// warmUp has every tenant log in and every replica open its Redis pool
// before the goroutines are first counted, so that the count before the
// load already holds what lives for the whole run. Its requests are not
// part of the figures.
func warmUp(ctx context.Context, rs []*replica, ts []*tenantState) {
	cl := newClient(newRecorder(time.Hour))
	defer cl.closeIdle()
	for _, t := range ts {
		for _, r := range rs {
			cl.do(ctx, call{Replica: r, Tenant: t, Method: "GET", Path: "/v1/tags", Op: "warm-up"})
			cl.do(ctx, call{Replica: r, Tenant: t, Method: "GET", Path: "/v1/budget", Op: "warm-up"})
		}
	}
}

// settledGoroutines drops every idle connection (the workload's to the
// replicas, the replicas' to the simulators and the webhook receivers) and reads each replica's
// go_goroutines. With a baseline it polls until every replica is within
// slack of it or settleTimeout passes, and returns the last reading;
// -1 marks a replica that could not be read.
func settledGoroutines(ctx context.Context, sc *scraper, g *rig, cl *client, baseline []int, slack int) []int {
	deadline := time.Now().Add(settleTimeout)
	for {
		cl.closeIdle()
		g.up.dropIdleConns()
		dropReceiverConns(g.recv)
		sleepCtx(ctx, 500*time.Millisecond)
		out := make([]int, len(g.replicas))
		settled := true
		for i, r := range g.replicas {
			pctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			n, err := sc.goroutines(pctx, r.URL())
			cancel()
			out[i] = n
			if err != nil {
				out[i] = -1
			}
			if baseline != nil && (err != nil || n-baseline[i] > slack) {
				settled = false
			}
		}
		if baseline == nil || settled || time.Now().After(deadline) || ctx.Err() != nil {
			return out
		}
	}
}

// settleTimeout bounds the wait for goroutines to drop back after the load.
const settleTimeout = 20 * time.Second

// gatherUpstreams fills the report's upstream figures from the simulators'
// own logs.
func gatherUpstreams(rep *report, up *upstreams, markerPrefix string) {
	rep.CWRequests = up.cw.RequestCount()
	pwReqs := up.pw.Requests()
	rep.PWRequests = len(pwReqs)
	var accounts []string
	for i := range numPWAccounts {
		accounts = append(accounts, pwClientID(i))
	}
	rep.Budgets = checkBudgets(pwReqs, accounts, budgetPerMinute)
	tally := actionTally(up.cw.Actions(), markerPrefix)
	for _, n := range tally {
		rep.Actions += n
	}
	rep.Duplicates, rep.DuplicatesAcrossRestart = splitDuplicates(tally, rep.Ledger.AcrossRestart)
	rep.Lost = lost(rep.Ledger.Acknowledged, tally)
	cwStatuses, _ := up.cwTap.counts()
	pwStatuses, limited := up.pwTap.counts()
	rep.CW429, rep.PW429, rep.PWLimited = cwStatuses[429], pwStatuses[429], limited
}

// gatewayUpstreamCounts sums every replica's own count of the upstream
// requests it sent, by upstream; -1 when a replica cannot be scraped.
func gatewayUpstreamCounts(sc *scraper, rs []*replica) (cw, pw int) {
	var fcw, fpw float64
	for _, r := range rs {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		text, err := sc.metrics(ctx, r.URL())
		cancel()
		if err != nil {
			return -1, -1
		}
		fcw += sumSeries(text, "switchboard_upstream_requests_total", `upstream="callwidget"`)
		fpw += sumSeries(text, "switchboard_upstream_requests_total", `upstream="phonewagon"`)
	}
	return int(fcw), int(fpw)
}

// replicaReports reads each replica's peak memory, stops the replicas (so
// their exit status and whole log are known) and assembles their figures.
func replicaReports(g *rig, samples map[string]replicaSamples, before, after []int) []replicaReport {
	peaks := make([]int64, len(g.replicas))
	for i, r := range g.replicas {
		if m, err := readMemory(r.Pid()); err == nil {
			peaks[i] = m.Peak
		}
	}
	exits := stopFleet(g.replicas)
	var out []replicaReport
	for i, r := range g.replicas {
		// VmHWM and VmRSS are kept per CPU and may lag each other by a few
		// pages, so the peak is the higher of VmHWM and every sample.
		sm := samples[r.Name]
		rr := replicaReport{Name: r.Name, PeakRSS: max(peaks[i], sm.FirstHalfRSS, sm.SecondHalfRSS), Samples: sm,
			GoroutinesBefore: before[i], GoroutinesAfter: after[i], Exit: exits[i]}
		if c, err := scanLog(r.logPath()); err == nil {
			rr.LogErrors, rr.Panics = c.Errors, c.Panics
		} else {
			g.logf("%v", err)
		}
		out = append(out, rr)
	}
	return out
}
